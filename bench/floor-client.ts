// The floor for the rotator's scan (issue 12): the same per-node work — one exec `cat` of the Multus kubeconfig and
// one TokenReview of its token — by the smallest client that can do it: one keep-alive TLS agent for the requests,
// one TLS context and session cache for the WebSockets (`ws`), no deserializer, no verification, no classification,
// at the same concurrency as the rotator. The pod list it needs is timed separately.
// Usage: node bench/floor-client.ts KUBECONFIG [concurrency 16] [namespace kube-system] [selector app=multus]
// Prints one JSON line; never prints a token.
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';

const [kubeconfig = '', concArg = '16', namespace = 'kube-system', selector = 'app=multus'] = process.argv.slice(2);
const concurrency = Number(concArg);
const container = 'kube-multus';
const file = '/host/etc/cni/net.d/multus.d/multus.kubeconfig';

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const tls: https.RequestOptions = {};
await kc.applyToHTTPSOptions(tls);
const server = new URL(kc.getCurrentCluster()?.server ?? '');
const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: tls.ca, cert: tls.cert, key: tls.key });
const secureContext = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
const wsAgent = new https.Agent({ keepAlive: false, maxCachedSessions: 100 });
const headers = { ...(tls.headers as Record<string, string> | undefined) };

function request(method: string, path: string, body?: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({ host: server.hostname, port: server.port, path, method, agent,
      headers: { ...headers, accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e);
          }
        });
      });
    req.on('error', reject);
    req.end(data);
  });
}

function execCat(ns: string, pod: string): Promise<Buffer> {
  const q = new URLSearchParams([['command', 'cat'], ['command', file], ['container', container], ['stdout', 'true'], [
    'stderr',
    'true',
  ]]);
  const url = `wss://${server.host}/api/v1/namespaces/${ns}/pods/${pod}/exec?${q}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v4.channel.k8s.io'],
      { agent: wsAgent, secureContext, headers } as WebSocket.ClientOptions);
    const out: Buffer[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('timeout'));
    }, 30_000);
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) out.push(data.subarray(1));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(out));
    });
  });
}

const t0 = performance.now();
const pods: { ns: string; name: string }[] = [];
let cont: string | undefined;
do {
  const q = new URLSearchParams({ labelSelector: selector, limit: '500', ...(cont ? { continue: cont } : {}) });
  const page = await request('GET', `/api/v1/namespaces/${namespace}/pods?${q}`);
  for (const p of page.items ?? []) {
    if (p.spec?.nodeName) pods.push({ ns: p.metadata.namespace, name: p.metadata.name });
  }
  cont = page.metadata?.continue || undefined;
} while (cont);
const listMs = performance.now() - t0;

let reads = 0;
let authenticated = 0;
let failed = 0;
const t1 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: Math.min(concurrency, pods.length) }, async () => {
  while (next < pods.length) {
    const p = pods[next++] as { ns: string; name: string };
    try {
      const text = (await execCat(p.ns, p.name)).toString('utf8');
      reads++;
      const token = /^\s*token:\s*"?([^"\s]+)"?\s*$/m.exec(text)?.[1];
      if (!token) {
        failed++;
        continue;
      }
      const review = await request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      });
      if (review.status?.authenticated) authenticated++;
    } catch {
      failed++;
    }
  }
}));
const readsMs = performance.now() - t1;
agent.destroy();
wsAgent.destroy();
console.log(
  JSON.stringify({ nodes: pods.length, concurrency, listMs: Math.round(listMs), readsMs: Math.round(readsMs), reads,
    authenticated, failed }),
);
