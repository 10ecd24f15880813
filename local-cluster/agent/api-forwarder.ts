// Both Multus entrypoints write the API server as `https://[$KUBERNETES_SERVICE_HOST]:$PORT`. Go 1.26's net/url
// rejects an IPv4 address in brackets, so a Multus built here could never reach 127.0.0.1 that way; the IPv6
// loopback parses. The API server binds one address (127.0.0.1), so this relays [::1]:port to it, byte for byte:
// TLS stays end to end (the serving certificate carries IP:::1). Loopback only, both sides.
import net from 'node:net';

/** Resolves once the relay listens; rejects if it cannot (the port is taken, or the machine has no IPv6 loopback). */
export function forwardIpv6Loopback(port: number): Promise<net.Server> {
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
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '::1', ipv6Only: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
