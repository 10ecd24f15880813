// npm run cluster:up / cluster:down. CLUSTER_NODES=N sets the node count (default 3).
import { down, up } from './cluster.ts';

const command = process.argv[2];
if (command === 'up') {
  const raw = process.env.CLUSTER_NODES ?? '3';
  const nodes = Number(raw);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5000) {
    console.error(`CLUSTER_NODES=${raw} is not a node count; use a whole number from 1 to 5000, e.g. CLUSTER_NODES=3`);
    process.exit(2);
  }
  const c = await up({ nodes });
  console.log(`export KUBECONFIG=${c.kubeconfig}`);
} else if (command === 'down') {
  await down();
} else {
  console.error('usage: node local-cluster/cli.ts up|down');
  process.exit(2);
}
