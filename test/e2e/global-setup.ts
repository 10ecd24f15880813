// node --test --test-global-setup: brings the local cluster up once for the whole run (or reuses a running one) and
// stops, at the end, only what it started. MTR_KEEP_CLUSTER=1 leaves it running for the next run.
import { down, up } from '../cluster/cluster.ts';

let startedHere = false;

export async function globalSetup(): Promise<void> {
  const nodes = Number(process.env.CLUSTER_NODES ?? '3');
  const c = await up({ nodes: Number.isInteger(nodes) && nodes > 0 ? nodes : 3 });
  startedHere = !c.reused;
}

export async function globalTeardown(): Promise<void> {
  if (startedHere && process.env.MTR_KEEP_CLUSTER !== '1') await down();
}
