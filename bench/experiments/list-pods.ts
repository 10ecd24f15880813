// Experiment: the workload scan's one paginated list of every pod, as scripts/cluster/cluster-reader.ts does it
// (client-node, ObjectSerializer → V1Pod class instances, page 500) versus the same requests read as plain JSON.
// Usage: node bench/experiments/list-pods.ts KUBECONFIG [client|raw] [pageSize]
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [kubeconfig = '', mode = 'client', pageArg = '500'] = process.argv.slice(2);
const limit = Number(pageArg);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const fieldSelector = 'status.phase!=Succeeded,status.phase!=Failed';
const t0 = performance.now();
let n = 0;
let kept = 0;
if (mode === 'client') {
  const core = kc.makeApiClient(CoreV1Api);
  let cont: string | undefined;
  do {
    const page = await core.listPodForAllNamespaces({ fieldSelector, limit, _continue: cont });
    for (const p of page.items) {
      n++;
      if (p.spec?.nodeName) kept++;
    }
    cont = page.metadata?._continue || undefined;
  } while (cont);
} else {
  const root = path.dirname(kubeconfig);
  const agent = new https.Agent({ keepAlive: true, ca: readFileSync(path.join(root, 'pki', 'ca.crt')),
    cert: readFileSync(path.join(root, 'pki', 'admin.crt')), key: readFileSync(path.join(root, 'pki', 'admin.key')) });
  const server = new URL(kc.getCurrentCluster()!.server);
  const get = (p: string) =>
    new Promise<string>((resolve, reject) => {
      https.get({ host: server.hostname, port: server.port, path: p, agent, headers: { accept: 'application/json' } },
        (res) => {
          let s = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            s += c;
          });
          res.on('end', () => resolve(s));
        })
        .on('error', reject);
    });
  let cont: string | undefined;
  do {
    const q = new URLSearchParams({ fieldSelector, limit: String(limit), ...(cont ? { continue: cont } : {}) });
    const page = JSON.parse(await get(`/api/v1/pods?${q}`)) as { items: { spec?: { nodeName?: string } }[];
      metadata?: { continue?: string } };
    for (const p of page.items) {
      n++;
      if (p.spec?.nodeName) kept++;
    }
    cont = page.metadata?.continue || undefined;
  } while (cont);
}
const ms = performance.now() - t0;
const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
console.log(
  JSON.stringify({ mode, limit, pods: n, kept, ms: Math.round(ms),
    cpuUserMs: Math.round(process.cpuUsage().user / 1000), hwmMiB: Math.round(Number(hwm) / 1024) }),
);
