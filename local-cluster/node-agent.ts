// The node side of every simulated node, in one process: what kwok does not do.
//   - the Multus container of each Multus pod runs for real (agent/multus-containers.ts): Multus's own entrypoint
//     writes the node's 00-multus.conf and multus.kubeconfig, with the pod's projected token;
//   - the kubelet's CNI step runs for real (agent/pod-sandboxes.ts): a pod that needs a pod network starts only after
//     the node's network configuration — the real Multus binary — said yes to CNI ADD;
//   - the default network is installed on each node (a trivial `noop` plugin and its configuration), as a cluster's
//     primary CNI would be, and the API server is reachable at [::1] for Multus (agent/api-forwarder.ts).
// Each node's kwok runs in its own mount namespace (cluster.ts); the processes started here get their own.
//
// Usage: node local-cluster/node-agent.ts <cluster root> <kubeconfig> <apiserver port> <multus build dir> <node>...
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { nodeDirs, type NodeDirs } from './node-paths.ts';
import { CLUSTER_ENV } from './cluster-scope.ts';
import { forwardIpv6Loopback } from './agent/api-forwarder.ts';
import { MultusContainers } from './agent/multus-containers.ts';
import { PodSandboxes } from './agent/pod-sandboxes.ts';

const [root, kubeconfigPath, portArg, multusDir, ...nodes] = process.argv.slice(2);
if (!root || !kubeconfigPath || !portArg || !multusDir || nodes.length === 0) {
  console.error('usage: node-agent.ts <cluster root> <kubeconfig> <apiserver port> <multus build dir> <node>...');
  process.exit(2);
}
const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);
// Every process this agent starts carries the cluster's marker, so that `down` finds it even if this agent is killed.
process.env[CLUSTER_ENV] = path.resolve(root);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const apiserverPort = Number(portArg);

/** The default network of every node: what the entrypoints find as the "master plugin" in auto mode. */
const DEFAULT_NETWORK = { cniVersion: '0.3.1', name: 'default', type: 'noop' };
const dirsByNode = new Map<string, NodeDirs>();
for (const node of nodes) {
  const dirs = nodeDirs(root, node);
  for (const d of [dirs.cniConf, dirs.cniBin, dirs.cniState, dirs.run, dirs.scratch]) mkdirSync(d, { recursive: true });
  copyFileSync(path.join(multusDir, 'noop'), path.join(dirs.cniBin, 'noop'));
  writeFileSync(path.join(dirs.cniConf, '10-default.conf'), JSON.stringify(DEFAULT_NETWORK) + '\n');
  dirsByNode.set(node, dirs);
}
const dirs = (node: string) => dirsByNode.get(node);

const multus = new MultusContainers({ kc, root, multusDir, apiserverPort, caFile: path.join(root, 'pki', 'ca.crt'),
  dirs, log });
const sandboxes = new PodSandboxes(kc, root, dirs, log);

/**
 * A Multus pod is one labelled as Multus (`app` or `name` starting with `multus`, as in every upstream manifest and the
 * tests' own pods) or run by a DaemonSet named for Multus — not judged by its image name: upstream's v3.7 manifest
 * runs `docker.io/nfvpe/multus:stable` in per-architecture DaemonSets (kube-multus-ds-amd64, …).
 */
const isMultus = (pod: V1Pod) => {
  const labels = pod.metadata?.labels ?? {};
  return [labels.app, labels.name].some((v) => v?.startsWith('multus') === true) ||
    pod.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name.includes('multus')) === true;
};
const onPod = (pod: V1Pod) => {
  if (isMultus(pod)) multus.reconcile(pod);
  sandboxes.reconcile(pod);
};
const onGone = (pod: V1Pod) => {
  const uid = pod.metadata?.uid;
  if (!uid) return;
  multus.forget(uid);
  sandboxes.forget(uid);
};

const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
informer.on('add', onPod);
informer.on('update', onPod);
informer.on('delete', onGone);
informer.on('error', (err) => {
  log(`watch ended (${(err as Error | undefined)?.message ?? 'no error'}); restarting in 1s`);
  setTimeout(() => void informer.start().catch((e: Error) => log(`restart failed: ${e.message}`)), 1000);
});
const relay = forwardIpv6Loopback(apiserverPort);
/** Leaves nothing behind: the containers' process groups stopped, the pods' network namespaces removed. */
const shutdown = once((code: number) => {
  sandboxes.stop();
  void relay.then((server) => server.close(), () => undefined);
  void Promise.allSettled([multus.stop(), informer.stop()]).finally(() => process.exit(code));
});
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
// Multus reaches the API server only through the relay: without it no node can work, so the agent stops (`up` sees
// it exit and says why, from this line of its log).
await relay.catch(async (err: Error) => {
  log(`cannot listen on [::1]:${apiserverPort} for the API server relay: ${err.message}`);
  shutdown(3);
  await new Promise(() => undefined);
});
setInterval(() => undefined, 60_000);
await informer.start();
// Watches can miss events and markers can change: look at every known pod again twice a second.
setInterval(() => {
  for (const pod of informer.list()) onPod(pod);
  multus.sweep();
}, 500).unref();
log(`node agent started for ${nodes.length} nodes`);

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  const calls: A[] = [];
  return (...args: A) => {
    if (calls.push(args) === 1) fn(...args);
  };
}
