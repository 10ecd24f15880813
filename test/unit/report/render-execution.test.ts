import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderExecutionTable } from '../../../scripts/report/render-execution.ts';
import type { ExecutionReport, NodeExecution, PodExecution } from '../../../scripts/model.ts';
import { DAY, HOUR, NOW } from '../fixtures.ts';

const evictedPod: PodExecution = {
  namespace: 'shop',
  name: 'api-1',
  uid: '1',
  outcome: 'evicted',
  reason: 'the replacement is Ready',
  attempts: 2,
  evictMs: 5000,
  goneMs: 1200,
  replacementReadyMs: 9000,
  replacement: { name: 'api-2', uid: '2' },
};
const partial: NodeExecution = {
  node: 'node-x',
  outcome: 'partial',
  reason: 'Multus restarted; 1 dependent pod blocked',
  startedAt: NOW,
  finishedAt: NOW + 30_000,
  multus: { oldPod: 'kube-multus-ds-x', oldUid: 'm1', newPod: 'kube-multus-ds-y', newUid: 'm2', readyMs: 4200,
    tokenMs: 350 },
  tokenBefore: { fingerprint: 'bbbbbbbbbbbb', expiresAt: NOW - 2 * HOUR },
  tokenAfter: { fingerprint: 'cccccccccccc', expiresAt: NOW + 365 * DAY },
  pods: [
    evictedPod,
    { namespace: 'shop', name: 'db-0', uid: '3', outcome: 'blocked',
      reason: 'budget shop/db allowed no disruption for 5m', attempts: 30 },
  ],
};
const execution: ExecutionReport = {
  mode: 'execute',
  startedAt: NOW,
  finishedAt: NOW + 95_000,
  lease: { name: 'multus-token-rotator', namespace: 'multus-token-rotator', holder: 'job-1', acquired: true },
  stoppedBecause: 'the deadline of 30m was reached',
  nodes: [
    partial,
    { node: 'node-f', outcome: 'failed', reason: 'the new Multus pod was not Ready within 5m',
      multus: { oldPod: 'kube-multus-ds-f', oldUid: 'f1' }, pods: [] },
    { node: 'node-n', outcome: 'not-started', reason: 'the run stopped before this node', pods: [] },
  ],
};

describe('renderExecutionTable', () => {
  const text = renderExecutionTable({ execution });
  const lines = text.split('\n');

  it('names the lease and numbers the nodes in order with their outcome', () => {
    assert.equal(lines[0], 'Execution');
    assert.equal(lines[1], '  Lease multus-token-rotator/multus-token-rotator held by job-1.');
    const nodeLines = lines.filter((l) => /^ {2}\d+\. /.test(l));
    assert.deepEqual(nodeLines, [
      '  1. node-x  partial: Multus restarted; 1 dependent pod blocked',
      '  2. node-f  failed: the new Multus pod was not Ready within 5m',
      '  3. node-n  not-started: the run stopped before this node',
    ]);
  });
  it('shows how long Multus took and the token before and after, by fingerprint and expiry', () => {
    assert.ok(lines.includes('     Multus kube-multus-ds-x → kube-multus-ds-y: Ready in 4200 ms, token read in 350 ms'),
      text);
    assert.ok(
      lines.includes(
        '     Token bbbbbbbbbbbb (expires 2025-05-31 22:00:00Z) → cccccccccccc (expires 2026-06-01 00:00:00Z)',
      ),
      text,
    );
    assert.ok(lines.includes('     Multus kube-multus-ds-f → no new pod'), text);
  });
  it('lists each pod with its outcome, attempts and waits in aligned columns', () => {
    const header = lines.findIndex((l) => l.startsWith('     OUTCOME'));
    assert.ok(header > 0);
    assert.match(lines[header] ?? '', /^ {5}OUTCOME\s+POD\s+ATTEMPTS\s+EVICT\s+GONE\s+READY\s+REPLACEMENT\s+REASON$/);
    const evicted = lines[header + 1] ?? '';
    const blocked = lines[header + 2] ?? '';
    assert.match(evicted,
      /^ {5}evicted\s+shop\/api-1\s+2\s+5000 ms\s+1200 ms\s+9000 ms\s+api-2\s+the replacement is Ready$/);
    assert.match(blocked,
      /^ {5}blocked\s+shop\/db-0\s+30\s+-\s+-\s+-\s+-\s+budget shop\/db allowed no disruption for 5m$/);
    for (const col of ['POD', 'ATTEMPTS', 'EVICT', 'REASON']) {
      const at = (lines[header] ?? '').indexOf(col);
      assert.equal(evicted[at - 1], ' ', col);
      assert.notEqual(evicted[at], ' ', col);
      assert.notEqual(blocked[at], ' ', col);
    }
  });
  it('ends with the stop reason and a closing line that counts outcomes', () => {
    assert.equal(lines.at(-4), 'Stopped early: the deadline of 30m was reached');
    assert.equal(lines.at(-2),
      'Finished in 1m 35s: 1 partial, 1 failed, 1 not-started of 3 node(s); pods: 1 evicted, 1 blocked.');
    assert.equal(lines.at(-1), '');
  });
  it('never shows more of a token than its fingerprint', () => {
    assert.doesNotMatch(text, /eyJ/);
    assert.equal((text.match(/cccccccccccc/g) ?? []).length, 1);
  });
  it('says so when another run holds the lease', () => {
    const t = renderExecutionTable({
      execution: {
        ...execution,
        stoppedBecause: undefined,
        nodes: [],
        lease: { name: 'l', namespace: 'ns', holder: 'job-2', acquired: false, heldBy: 'job-1',
          heldSince: '2025-05-31T23:59:00.000Z' },
      },
    });
    assert.match(t, /Lease ns\/l is held by job-1 since 2025-05-31T23:59:00.000Z; this run \(job-2\) did nothing\./);
    assert.match(t, /Nothing was done: another run holds the lease\.\n$/);
    assert.doesNotMatch(t, /Stopped early/);
  });
  it('closes a server dry run without claiming a change', () => {
    const dry: ExecutionReport = {
      mode: 'server-dry-run',
      startedAt: NOW,
      finishedAt: NOW + 800,
      nodes: [{ node: 'node-x', outcome: 'dry-run', reason: 'the API server accepted the evictions',
        pods: [{ ...evictedPod, outcome: 'dry-run' }] }],
    };
    const t = renderExecutionTable({ execution: dry });
    assert.doesNotMatch(t, /Lease/);
    assert.match(t,
      /Server dry run finished, nothing was changed in 800ms: 1 dry-run of 1 node\(s\); pods: 1 dry-run\.\n$/);
  });
  it('colours after padding, so stripping the colour gives the plain text', () => {
    const colored = renderExecutionTable({ execution, color: (style, t) => `<${style}>${t}</${style}>` });
    assert.match(colored, /<green>evicted<\/green>/);
    assert.match(colored, /<red>failed<\/red>: the new Multus pod/);
    assert.match(colored, /<yellow>Stopped early: /);
    assert.equal(colored.replace(/<\/?[a-z]+>/g, ''), text);
  });
});
