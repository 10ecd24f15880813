// Before `up` starts anything: every port the cluster will listen on must be free, and the [::1] relay (Multus's
// way to the API server, agent/api-forwarder.ts) must be able to listen. Otherwise one line says which and why.
import net from 'node:net';

export interface WantedPort {
  name: string;
  host: '127.0.0.1' | '::1';
  port: number;
}

function tryListen(want: WantedPort): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host: want.host, port: want.port, exclusive: true, ipv6Only: want.host === '::1' },
      () => server.close(() => resolve(undefined)));
  });
}

/** The first port that cannot be listened on, as one line naming it and the fix; undefined if all are free. */
export async function portProblem(wanted: readonly WantedPort[], offset: number): Promise<string | undefined> {
  for (const want of wanted) {
    const err = await tryListen(want);
    if (!err) continue;
    const where = want.host === '::1' ? `[::1]:${want.port}` : `${want.host}:${want.port}`;
    if (err.code === 'EADDRINUSE') {
      return `port ${where} (${want.name}, port offset ${offset}) is in use; stop what listens there ` +
        `(ss -ltnp 'sport = :${want.port}') or choose another MTR_CLUSTER_PORT_OFFSET`;
    }
    return `cannot listen on ${where} (${want.name}, port offset ${offset}): ${err.code ?? err.message}; ` +
      (want.host === '::1' ? 'Multus reaches the API server there: enable the IPv6 loopback (sysctl ' +
        'net.ipv6.conf.lo.disable_ipv6=0)' : 'check the loopback interface');
  }
  return undefined;
}
