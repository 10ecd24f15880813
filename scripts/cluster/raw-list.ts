// Measured hot paths (bench/RESULTS.md, bench/experiments/list-pods.ts): the cluster-wide pod list, and the one
// TokenReview per node. client-node turns every page into class instances through its ObjectSerializer (every field
// walked, every date parsed), which took half the list's time and most of its memory at 150,000 pods; and each of its
// requests builds a new dispatcher and goes through fetch and the serializer (a tenth of the scan's CPU at 1,000 nodes
// for the reviews). These requests are plain JSON instead. client-node still supplies everything else: the
// configuration, the credentials (applied per request, so a rotated token is used), the TLS options; the requests
// share one keep-alive agent. The objects are plain JSON typed as the client-node types; their dates are strings
// (scan/to-facts.ts accepts both).
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
    super(`HTTP-Code: ${code} (${path.replace(/\?.*$/, '')})`);
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}

export type RawGet = <T>(path: string, query: Record<string, string | number | undefined>) => Promise<Page<T>>;
export type RawRequest = (method: 'GET' | 'POST', path: string, query: Record<string, string | number | undefined>,
  body?: unknown) => Promise<unknown>;

/** A GET of list pages as plain JSON, with client-node's configuration and credentials. */
export function rawLister(kc: KubeConfig, request: RawRequest = rawRequester(kc)): RawGet {
  return async <T>(path: string, query: Record<string, string | number | undefined>) => {
    const doc = await request('GET', path, query) as { items?: T[]; metadata?: { continue?: string } };
    return { items: doc.items ?? [], metadata: { _continue: doc.metadata?.continue } };
  };
}

/** One JSON request (GET or POST), with client-node's configuration and credentials, over a shared keep-alive agent. */
export function rawRequester(kc: KubeConfig): RawRequest {
  let agent: https.Agent | undefined;
  const server = new URL(kc.getCurrentCluster()?.server ?? 'https://localhost');
  return async (method, path, query, body) => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts); // TLS material and the Authorization header, as client-node applies them
    agent ??= new https.Agent({ keepAlive: true, maxSockets: 32, ca: opts.ca, cert: opts.cert, key: opts.key,
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
      ...(opts.servername === undefined ? {} : { servername: opts.servername }) });
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const base = server.pathname.replace(/\/$/, '');
    const full = `${base}${path}${q.size > 0 ? `?${q}` : ''}`;
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...(opts.headers as Record<string, string> | undefined), accept: 'application/json',
      ...(data === undefined ? {} : { 'content-type': 'application/json' }) };
    return await new Promise<unknown>((resolve, reject) => {
      const req = https.request({ protocol: 'https:', host: server.hostname, port: server.port || 443, path: full,
        method, agent, headers, ...(opts.auth ? { auth: opts.auth } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 && res.statusCode !== 201) {
            reject(new RawApiError(res.statusCode ?? 0, text, res.headers, `${method} ${full}`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`ETIMEDOUT: no answer to ${method} ${path} in 60 s`)));
      req.end(data);
    });
  };
}
