// The plain-JSON list path (cluster/raw-list.ts) against a local HTTPS server: client-node's kubeconfig supplies the
// server, the CA and the credentials; pages follow `continue`; a 410 is an error with code 410, so paged() restarts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { rawLister, RawApiError } from '../../../scripts/cluster/raw-list.ts';
import { paged } from '../../../scripts/cluster/paged-list.ts';

describe('rawLister', () => {
  let dir = '';
  let server: https.Server;
  let kc: KubeConfig;
  const seen: { url: string; auth?: string }[] = [];
  let gone = 0; // answer 410 to this many first pages of a continued list

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raw-list-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext',
      'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
    server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')),
      cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      const cont = url.searchParams.get('continue');
      if (cont && gone > 0) {
        gone -= 1;
        res.writeHead(410, { 'content-type': 'application/json' });
        res.end('{"kind":"Status","code":410,"reason":"Expired","message":"continue token too old"}');
        return;
      }
      const page = Number(cont ?? '0');
      const items = [{ metadata: { name: `p${page}`, creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: { nodeName: 'n' } }];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PodList', items, metadata: page < 2 ? { continue: String(page + 1) } : {} }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`,
        caData: readFileSync(path.join(dir, 'cert.pem')).toString('base64') }],
      users: [{ name: 'u', token: 'not-a-real-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pages through a list with the kubeconfig's CA and credentials; the query is encoded", async () => {
    seen.length = 0;
    const raw = rawLister(kc);
    const names: string[] = [];
    await paged(
      (cont) =>
        raw<{ metadata: { name: string } }>('/api/v1/pods', { fieldSelector: 'status.phase!=Succeeded', limit: 500,
          continue: cont }),
      (page) => {
        names.push(...page.map((p) => p.metadata.name));
      },
    );
    assert.deepEqual(names, ['p0', 'p1', 'p2']);
    assert.equal(seen.length, 3);
    assert.ok(seen.every((s) => s.auth === 'Bearer not-a-real-token'));
    assert.match(seen[0]?.url ?? '', /^\/api\/v1\/pods\?fieldSelector=status.phase%21%3DSucceeded&limit=500$/);
    assert.match(seen[1]?.url ?? '', /&continue=1$/);
  });

  it('a 410 is an error with code 410, and paged() starts the list again', async () => {
    const raw = rawLister(kc);
    await assert.rejects(async () => {
      gone = 1;
      await raw('/api/v1/pods', { continue: '1' });
    }, (err: unknown) => err instanceof RawApiError && err.code === 410 && !String(err.message).includes('token'));
    gone = 1;
    const restarts: boolean[] = [];
    const names: string[] = [];
    await paged((cont) => raw<{ metadata: { name: string } }>('/api/v1/pods', { continue: cont }),
      (page, restarted) => {
        restarts.push(restarted);
        if (restarted) names.length = 0;
        names.push(...page.map((p) => p.metadata.name));
      });
    assert.deepEqual(names, ['p0', 'p1', 'p2']);
    assert.ok(restarts.includes(true));
  });
});
