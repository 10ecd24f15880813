// A kubeconfig whose certificate authority does not match the server (issue 10 item 14): said as what it is — the
// certificate check failed, for which server and context — not as "cannot reach the API server: fetch failed".
// A real TLS server on 127.0.0.1 with a certificate from one CA; the kubeconfig trusts another. No cluster involved.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { certificateFailure, isTransient } from '../../../scripts/cluster/api-errors.ts';
import { connect, describeCertificateFailure } from '../../../scripts/cluster/connect.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mtr-tls-'));
const file = (n: string) => path.join(dir, n);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
let server: https.Server;
let kubeconfig: string;

before(async () => {
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
      `${ca}.key`, '-out', `${ca}.crt`, '-days', '1', '-subj', `/CN=${ca}`);
  }
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'srv.key', '-out',
    'srv.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt',
    '-days', '1', '-extfile', 'san.ext');
  server = https.createServer({ key: readFileSync(file('srv.key')), cert: readFileSync(file('srv.crt')) },
    (_q, r) => r.end('{"kind":"NodeList","items":[]}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  kubeconfig = file('kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: prod',
    '  cluster:',
    `    server: https://127.0.0.1:${port}`,
    `    certificate-authority-data: ${readFileSync(file('other-ca.crt')).toString('base64')}`,
    'users:',
    '- name: admin',
    '  user:',
    '    token: not-a-real-token',
    'contexts:',
    '- name: prod-admin',
    '  context:',
    '    cluster: prod',
    '    user: admin',
    'current-context: prod-admin',
    '',
  ].join('\n'));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a CA that does not match: the failure names the server, the context and the check; it is not retried', async () => {
  const c = connect({ inCluster: false, kubeconfig });
  const err = await c.kc.makeApiClient(CoreV1Api).listNode().then(() => undefined, (e: unknown) => e);
  assert.ok(err, 'the request failed');
  assert.match(certificateFailure(err) ?? '', /^UNABLE_TO_VERIFY_LEAF_SIGNATURE|^UNABLE_TO_GET_ISSUER_CERT/);
  assert.equal(isTransient(err), false);
  const line = describeCertificateFailure(err, c.kc) ?? '';
  assert.match(line,
    new RegExp(`^the certificate check failed for https://127\\.0\\.0\\.1:\\d+ \\(context prod-admin\\): `));
  assert.match(line, /certificate-authority/);
});

test('the entry point says so in one line and exits 4', async () => {
  const rotate = fileURLToPath(new URL('../../../scripts/rotate.ts', import.meta.url));
  const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [rotate, '--kubeconfig', kubeconfig, '-o', 'json'], { env: { PATH: process.env.PATH },
      timeout: 60_000 }, (e, _out, stderr) => resolve({ code: e ? Number(e.code) : 0, stderr }));
  });
  assert.equal(run.code, 4, run.stderr);
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  assert.match(last,
    /^multus-token-rotator: the certificate check failed for https:\/\/127\.0\.0\.1:\d+ \(context prod-admin\)/);
  assert.doesNotMatch(run.stderr, /cannot reach the API server|fetch failed/);
});
