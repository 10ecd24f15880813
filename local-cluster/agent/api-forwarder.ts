// Both Multus entrypoints write the API server as `https://[$KUBERNETES_SERVICE_HOST]:$PORT`. Go 1.26's net/url
// rejects an IPv4 address in brackets, so a Multus built here could never reach 127.0.0.1 that way; the IPv6
// loopback parses. The API server binds one address (127.0.0.1), so this relays [::1]:port to it, byte for byte:
// TLS stays end to end (the serving certificate carries IP:::1). Loopback only, both sides.
import net from 'node:net';

export function forwardIpv6Loopback(port: number, log: (m: string) => void): net.Server {
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  server.on('error', (err) => log(`[::1]:${port} relay: ${err.message}`));
  server.listen({ port, host: '::1', ipv6Only: true });
  return server;
}
