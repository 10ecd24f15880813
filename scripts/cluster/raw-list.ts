// A measured hot path (bench/RESULTS.md, bench/experiments/list-pods.ts): the cluster-wide pod list. client-node turns
// every page into class instances through its ObjectSerializer (every field walked, every date parsed), which took
// half the list's time and most of its memory at 150,000 pods. This reads the same pages as plain JSON. client-node
// still supplies everything else: the configuration, the credentials (applied per request, so a rotated token is
// used), the TLS options; the pages arrive over one keep-alive connection. The objects are plain JSON typed as the
// client-node types; their dates are strings (scan/to-facts.ts accepts both).
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Page } from './paged-list.ts';

/** An answer other than 200, shaped like client-node's ApiException (`code`, `body`, `headers`) for api-errors.ts. */
export class RawApiError extends Error {
  readonly code: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;

  constructor(code: number, body: string, headers: IncomingHttpHeaders, path: string) {
    super(`HTTP-Code: ${code} (GET ${path.replace(/\?.*$/, '')})`);
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}

export type RawGet = <T>(path: string, query: Record<string, string | number | undefined>) => Promise<Page<T>>;

/** A GET of list pages as plain JSON, with client-node's configuration and credentials. */
export function rawLister(kc: KubeConfig): RawGet {
  let agent: https.Agent | undefined;
  const server = new URL(kc.getCurrentCluster()?.server ?? 'https://localhost');
  return async <T>(path: string, query: Record<string, string | number | undefined>) => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts); // TLS material and the Authorization header, as client-node applies them
    agent ??= new https.Agent({ keepAlive: true, maxSockets: 4, ca: opts.ca, cert: opts.cert, key: opts.key,
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
      ...(opts.servername === undefined ? {} : { servername: opts.servername }) });
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const base = server.pathname.replace(/\/$/, '');
    const full = `${base}${path}${q.size > 0 ? `?${q}` : ''}`;
    const headers = { ...(opts.headers as Record<string, string> | undefined), accept: 'application/json' };
    return await new Promise<Page<T>>((resolve, reject) => {
      const req = https.request({ protocol: 'https:', host: server.hostname, port: server.port || 443, path: full,
        method: 'GET', agent, headers, ...(opts.auth ? { auth: opts.auth } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new RawApiError(res.statusCode ?? 0, text, res.headers, full));
            return;
          }
          try {
            const doc = JSON.parse(text) as { items?: T[]; metadata?: { continue?: string } };
            resolve({ items: doc.items ?? [], metadata: { _continue: doc.metadata?.continue } });
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error('ETIMEDOUT: no answer to a list page in 60 s')));
      req.end();
    });
  };
}
