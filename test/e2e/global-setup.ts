// node --test --test-global-setup: brings the local cluster up once for the whole run (or reuses a running one) and
// stops, at the end, only what it started. MTR_KEEP_CLUSTER=1 leaves it running for the next run.
// After the last file, whatever the files' order, the no-token-leak search (support/token-leak.ts) runs over every
// token the suite minted and everything the rotator printed: a leak, or a search that could not run, is one line on
// stderr each and fails the run (exit 1).
import { down, up } from '../../local-cluster/cluster.ts';
import { clusterEnv } from '../../local-cluster/seed/cluster-env.ts';
import { describeSearch, searchForTokens } from './support/token-leak.ts';

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

async function noTokenLeak(): Promise<void> {
  try {
    const found = await searchForTokens(clusterEnv());
    console.log(`no-token-leak, the whole suite: ${describeSearch(found)}`);
    for (const leak of found.leaks) console.error(`no-token-leak: ${leak}`);
    if (found.leaks.length > 0) process.exitCode = 1;
  } catch (err) {
    console.error(`no-token-leak: the suite-wide search could not run: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  }
}

export async function globalTeardown(): Promise<void> {
  await noTokenLeak();
  if (startedHere && process.env.MTR_KEEP_CLUSTER !== '1') await down();
}
