// A TCP proxy on loopback between the rotator and the API server, for injecting network faults: cut every open
// connection (a dropped exec stream or watch), or refuse new ones for a while (the API server unreachable). TLS passes
// through untouched, so the rotator still verifies the API server's certificate (which names 127.0.0.1).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import type { ClusterEnv } from '../../../local-cluster/seed/cluster-env.ts';

export interface FaultProxy {
  port: number;
  kubeconfig: string;
  /** Destroys every open connection now. */
  cut(): number;
  /** Refuses (resets) new connections for `ms`, and cuts the open ones. */
  outage(ms: number): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(env: ClusterEnv): Promise<FaultProxy> {
  const target = new URL(env.server);
  const sockets = new Set<net.Socket>();
  let refuseUntil = 0;
  let total = 0;
  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.resetAndDestroy();
      return;
    }
    total++;
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const doc = YAML.parse(readFileSync(env.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of doc.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
  mkdirSync(path.join(env.root, 'tmp'), { recursive: true }); // per-run files: removed by cluster:down
  const kubeconfig = path.join(env.root, 'tmp', `kubeconfig-proxy-${port}`);
  writeFileSync(kubeconfig, YAML.stringify(doc), { mode: 0o600 });
  const cut = () => {
    const n = sockets.size;
    for (const s of sockets) s.destroy();
    sockets.clear();
    return n;
  };
  return {
    port,
    kubeconfig,
    cut,
    outage(ms) {
      refuseUntil = Date.now() + ms;
      cut();
    },
    connections: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
