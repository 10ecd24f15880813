// npm run cluster:up / cluster:down. CLUSTER_NODES=N sets the simulated node count (default 3), REAL_NODES=N the real
// nodes beside them (kubelet + containerd, local-cluster/real-node/; default 0); MTR_CLUSTER_PORT_OFFSET picks the
// ports (ports.ts) and MTR_CLUSTER_DIR the root, for a second cluster beside the first.
import { MAX_NODE_PORTS, offsetFromEnv } from './ports.ts';
import { MAX_REAL_NODES } from './real-node/real-nodes.ts';

const command = process.argv[2];
if (command !== 'up' && command !== 'down') {
  console.error('usage: node local-cluster/cli.ts up|down');
  process.exit(2);
}
const offset = offsetFromEnv(process.env.MTR_CLUSTER_PORT_OFFSET);
if ('error' in offset) {
  console.error(offset.error);
  process.exit(2);
}
const raw = process.env.CLUSTER_NODES ?? '3';
const nodes = Number(raw);
if (command === 'up' && (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODE_PORTS)) {
  console.error(`CLUSTER_NODES=${raw} is not a node count; use a whole number from 1 to ${MAX_NODE_PORTS} ` +
    '(the nodes one port offset has ports for), e.g. CLUSTER_NODES=3');
  process.exit(2);
}
const rawReal = process.env.REAL_NODES ?? '0';
const realNodes = Number(rawReal);
if (command === 'up' && (!Number.isInteger(realNodes) || realNodes < 0 || realNodes > MAX_REAL_NODES ||
  nodes + realNodes > MAX_NODE_PORTS)) {
  console.error(`REAL_NODES=${rawReal} is not a real node count; use a whole number from 0 to ${MAX_REAL_NODES} ` +
    `(with CLUSTER_NODES, at most ${MAX_NODE_PORTS} nodes in all), e.g. REAL_NODES=1`);
  process.exit(2);
}
const { down, up } = await import('./cluster.ts');
try {
  if (command === 'up') {
    const c = await up({ nodes, realNodes });
    console.log(`export KUBECONFIG=${c.kubeconfig}`);
  } else {
    await down();
  }
} catch (err) {
  console.error(`cluster:${command}: ${(err as Error).message}`);
  process.exit(1);
}
