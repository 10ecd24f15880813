// A local run against a cluster that is not set up as expected says, in one line, what is wrong and what to do
// (issue 10 item 14): no rbac.yaml namespace for the summary; a kubeconfig whose CA does not match the API server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { clusterEnv } from '../../../local-cluster/seed/cluster-env.ts';
import { dryRunExit } from '../support/dry-run-exit.ts';
import { logLines } from '../support/run-log.ts';
import { runLocal, runRotator } from '../support/run-rotator.ts';

const env = clusterEnv();

describe('setup errors, said in one line', () => {
  test('no such summary namespace: apply rbac.yaml or pass --summary-namespace; the run keeps its own exit code', async () => {
    // The same dry run with the summary written: the exit code the failed summary must not change.
    const own = await runLocal(env, ['-o', 'json']);
    const run = await runLocal(env, ['-o', 'json', '--summary-namespace', 'no-such-namespace-e2e']);
    const failed = logLines(run.stderr).find((l) => l.event === 'summary-failed');
    assert.match(String(failed?.reason),
      /^namespace no-such-namespace-e2e does not exist: apply rbac\.yaml .* or pass --summary-namespace/);
    assert.doesNotMatch(run.stderr, /HTTP-Code|Unknown API Status Code/);
    assert.equal(own.code, dryRunExit(own.stdout), `the run itself: ${own.stderr.slice(-2000)}`);
    assert.equal(run.code, own.code, `exit ${run.code}, as without the summary (not 4)`);
  });

  test("a kubeconfig whose CA is not the API server's: the certificate check failed, for which server and context", async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtr-ca-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'other.key'), '-out', path.join(dir, 'other.crt'), '-days', '1', '-subj',
      '/CN=other-ca'], { stdio: 'ignore' });
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(env.kubeconfig, 'utf8')
      .replace(/certificate-authority: .*/, `certificate-authority: ${path.join(dir, 'other.crt')}`));
    const run = await runRotator(['--kubeconfig', kubeconfig, '-o', 'json']);
    assert.equal(run.code, 4, run.stderr);
    const last = run.stderr.trim().split('\n').at(-1) ?? '';
    assert.match(last,
      new RegExp(`the certificate check failed for ${env.server.replaceAll('.', '\\.')} \\(context [^)]+\\)`));
    assert.doesNotMatch(run.stderr, /cannot reach the API server|fetch failed/);
  });
});
