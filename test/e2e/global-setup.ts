// node --test --test-global-setup: brings the local cluster up once for the whole run (or reuses a running one) and
// stops, at the end, only what it started. MTR_KEEP_CLUSTER=1 leaves it running for the next run.
import { down, up } from '../../local-cluster/cluster.ts';

let startedHere = false;

export async function globalSetup(): Promise<void> {
  // The suite prepares a node in each token class at once: it needs at least 6 nodes.
  const wanted = Math.max(6, Number(process.env.CLUSTER_NODES ?? '6') || 6);
  // One real node (kubelet + containerd) for the real-node tests; REAL_NODES=0 leaves it out.
  const realNodes = Number(process.env.REAL_NODES ?? '1') || 0;
  const c = await up({ nodes: wanted, realNodes });
  startedHere = !c.reused;
  if (c.nodes.length < 6) {
    throw new Error(`a running local cluster has ${c.nodes.length} nodes and the suite needs 6: ` +
      'run npm run cluster:down, then the tests again (they start their own)');
  }
  if (c.realNodes.length < realNodes) {
    throw new Error(`a running local cluster has ${c.realNodes.length} real nodes and REAL_NODES=${realNodes}: ` +
      'run npm run cluster:down, then the tests again (they start their own)');
  }
}

export async function globalTeardown(): Promise<void> {
  if (startedHere && process.env.MTR_KEEP_CLUSTER !== '1') await down();
}
