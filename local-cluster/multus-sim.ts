// The simulated Multus 3.x thin entrypoint, for every simulated node at once.
//
// kwok runs no containers, so this process plays the part of the entrypoint script: when a Multus pod (label
// app=multus, in any namespace) is running on a node, it asks the API server for a token bound to that pod — exactly
// as the kubelet does for a projected service-account volume (TokenRequest, 3607 s, the API server's own audience, so
// the API server extends it as in production) — and writes that node's
//   <root>/nodes/<node>/net.d/multus.d/multus.kubeconfig   (the 3.x shape: cluster `local` with a bracketed server,
//                                                           CA data, user `multus` with `token:`, context
//                                                           `multus-context`, mode 600)
//   <root>/nodes/<node>/net.d/00-multus.conf                (with its "kubeconfig" field)
// once per pod, never again: the real 3.x entrypoint never refreshes it. Each node's kwok sees that directory at
// /host/etc/cni/net.d (its own mount namespace), so `kubectl exec … cat /host/etc/cni/net.d/…` reads that node's file.
//
// A Multus pod annotated `sim.mtr.local/image: distroless` plays the 4.x thin image, which has no shell and no `cat`:
// the simulator gives it a kwok `Exec` of its own that matches no container, so every exec into it fails (kwok cannot
// fail one binary only), while its file is written as usual.
//
// Usage: node local-cluster/multus-sim.ts <cluster root> <kubeconfig> <apiserver host:port>
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { multusKubeconfigText } from './multus-kubeconfig.ts';

const [rootArg, kubeconfigPath, server] = process.argv.slice(2);
if (!rootArg || !kubeconfigPath || !server) {
  console.error('usage: multus-sim.ts <cluster root> <kubeconfig> <apiserver host:port>');
  process.exit(2);
}
const root: string = rootArg;
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const caData = readFileSync(path.join(root, 'pki', 'ca.crt')).toString('base64');
const [host, port] = splitHostPort(server);

/** Per node: the pod whose token the file holds now. */
const written = new Map<string, { uid: string; created: number }>();
const inFlight = new Set<string>();

function splitHostPort(hp: string): [string, string] {
  const i = hp.lastIndexOf(':');
  return [hp.slice(0, i), hp.slice(i + 1)];
}

function log(msg: string): void {
  console.log(`${new Date().toISOString()} ${msg}`);
}

function atomicWrite(file: string, text: string, mode: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function kubeconfigText(token: string): string {
  // As images/entrypoint.sh of Multus 3.x writes it (the host is always bracketed there).
  return multusKubeconfigText({ token, server: `https://[${host}]:${port}`, caData });
}

const cniConf = JSON.stringify({
  cniVersion: '0.3.1',
  name: 'multus-cni-network',
  type: 'multus',
  kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
  delegates: [{ cniVersion: '0.3.1', name: 'kwok-default', type: 'bridge' }],
}, null, 2);

const distroless = new Set<string>();

async function makeDistroless(pod: V1Pod): Promise<void> {
  const meta = pod.metadata;
  if (!meta?.uid || !meta.name || !meta.namespace || distroless.has(meta.uid)) return;
  distroless.add(meta.uid);
  try {
    await custom.createNamespacedCustomObject({
      group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'execs', namespace: meta.namespace,
      body: {
        apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Exec',
        metadata: {
          name: meta.name, namespace: meta.namespace,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid }],
        },
        spec: { execs: [{ containers: ['distroless-image-has-no-shell-or-cat'], local: {} }] },
      },
    });
    log(`pod ${meta.namespace}/${meta.name}: distroless, exec disabled`);
  } catch (err) {
    if ((err as { code?: number }).code !== 409) {
      distroless.delete(meta.uid);
      log(`pod ${meta.namespace}/${meta.name}: could not disable exec: ${(err as Error).message}`);
    }
  }
}

async function onPod(pod: V1Pod): Promise<void> {
  if (pod.metadata?.annotations?.['sim.mtr.local/image'] === 'distroless') await makeDistroless(pod);
  const meta = pod.metadata;
  const node = pod.spec?.nodeName;
  if (!meta?.uid || !meta.name || !meta.namespace || !node) return;
  if (meta.deletionTimestamp || pod.status?.phase !== 'Running') return;
  if (meta.annotations?.['sim.mtr.local/entrypoint'] === 'none') return; // a test wants the file left alone
  // A test can hold a node's entrypoint (a slow or stuck Multus start) with a marker file; see holdEntrypoint().
  if (existsSync(path.join(root, 'nodes', node, 'hold-entrypoint'))) return;
  // A test that left the node's file stale asks for it to be written again for the current pod.
  const rewrite = path.join(root, 'nodes', node, 'rewrite-entrypoint');
  if (existsSync(rewrite)) {
    rmSync(rewrite, { force: true });
    written.delete(node);
  }
  const created = meta.creationTimestamp ? new Date(meta.creationTimestamp).getTime() : 0;
  const last = written.get(node);
  if (last && (last.uid === meta.uid || last.created > created)) return;
  if (inFlight.has(meta.uid)) return;
  inFlight.add(meta.uid);
  try {
    const tr = await core.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName ?? 'default',
      namespace: meta.namespace,
      body: {
        spec: {
          audiences: [],
          expirationSeconds: 3607,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid },
        },
      },
    });
    const token = tr.status?.token;
    if (!token) throw new Error('TokenRequest returned no token');
    // The simulated kubelet's view, for the suite's no-token-leak check (test/e2e/support/token-log.ts).
    try {
      appendFileSync(path.join(root, 'minted-tokens'), `${token}\n`, { mode: 0o600 });
    } catch {
      // recording is best effort
    }
    const dir = path.join(root, 'nodes', node, 'net.d');
    atomicWrite(path.join(dir, 'multus.d', 'multus.kubeconfig'), kubeconfigText(token), 0o600);
    atomicWrite(path.join(dir, '00-multus.conf'), cniConf + '\n', 0o644);
    written.set(node, { uid: meta.uid, created });
    log(`node ${node}: wrote multus.kubeconfig for pod ${meta.namespace}/${meta.name} (${meta.uid})`);
  } catch (err) {
    log(`node ${node}: could not write for pod ${meta.namespace}/${meta.name}: ${(err as Error).message}`);
  } finally {
    inFlight.delete(meta.uid);
  }
}

const informer = makeInformer<V1Pod>(
  kc,
  '/api/v1/pods',
  () => core.listPodForAllNamespaces({ labelSelector: 'app=multus' }),
  'app=multus',
);
const handle = (pod: V1Pod) => void onPod(pod);
informer.on('add', handle);
informer.on('update', handle);
informer.on('error', (err) => {
  log(`watch ended (${(err as Error | undefined)?.message ?? 'no error'}); restarting in 1s`);
  setTimeout(() => void informer.start().catch((e: Error) => log(`restart failed: ${e.message}`)), 1000);
});
process.on('SIGTERM', () => {
  void informer.stop().finally(() => process.exit(0));
});
// Keep the process alive while the informer runs (the interval below is unref'd).
setInterval(() => undefined, 60_000);
await informer.start();
// Events can be missed (a watch restart) and holds can be lifted: look at every known pod again twice a second.
setInterval(() => {
  for (const pod of informer.list()) void onPod(pod);
}, 500).unref();
log('multus-sim started');
