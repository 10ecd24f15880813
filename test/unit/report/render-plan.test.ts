import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlanTable } from '../../../scripts/report/render-plan.ts';
import { renderJson, renderYaml } from '../../../scripts/report/structured-output.ts';
import { parse } from 'yaml';
import type { RestartPlan } from '../../../scripts/model.ts';
import { DAY, HOUR, MINUTE, NOW, makeFinding, makePlan } from '../fixtures.ts';

const findings = [
  makeFinding({ node: 'node-h', class: 'healthy', expiresAt: NOW + 300 * DAY, reason: 'valid for 300d',
    fingerprint: 'aaaaaaaaaaaa' }),
  makeFinding({ node: 'node-x', class: 'expired', expiresAt: NOW - 2 * HOUR, reason: 'the token expired 2h ago',
    fingerprint: 'bbbbbbbbbbbb' }),
  makeFinding({ node: 'node-u', class: 'unreadable', expiresAt: undefined, fingerprint: undefined,
    timeLeftMs: undefined, reason: 'permission denied' }),
  makeFinding({ node: 'node-e', class: 'expiring', expiresAt: NOW + 303 * MINUTE, reason: 'expires in 5h 3m' }),
];
const plan: RestartPlan = makePlan({
  steps: [
    {
      node: 'node-x',
      class: 'expired',
      reason: 'the token expired 2h ago',
      expiresAt: NOW - 2 * HOUR,
      multusPod: { namespace: 'kube-system', name: 'kube-multus-ds-x', uid: 'm' },
      pods: [
        { namespace: 'shop', name: 'api-1', uid: '1', action: 'restart', reason: 'attaches secondary networks',
          pdbs: ['shop/api'] },
        { namespace: 'shop', name: 'cache-1', uid: '2', action: 'refused', reason: 'has emptyDir volumes (data)',
          override: '--allow-local-storage' },
        { namespace: 'shop', name: 'db-0', uid: '3', action: 'blocked',
          reason: 'budget shop/db allows no disruption now (healthy 2 of desired 2)' },
      ],
      nonDependentPods: 4,
    },
  ],
  deferred: [{ node: 'node-e', class: 'expiring', reason: 'cap of 1 nodes per run reached', override: '--max-nodes' }],
  skipped: [
    { node: 'node-h', class: 'healthy', reason: 'valid for 300d' },
    { node: 'node-u', class: 'unreadable', reason: 'permission denied; nothing is restarted on a guess' },
  ],
  advisories: ['tokens live 1h; run the job at least every 30m'],
});

describe('renderPlanTable', () => {
  const text = renderPlanTable({ findings, plan, mode: 'dry-run' });
  const lines = text.split('\n');

  it('starts with the node table, worst first, with aligned columns', () => {
    assert.match(lines[0] ?? '', /^NODE\s+CLASS\s+EXPIRES\s+LEFT\s+TOKEN\s+REASON$/);
    const nodes = lines.slice(1, 5).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(nodes, ['node-x', 'node-e', 'node-u', 'node-h']);
    const col = (lines[0] ?? '').indexOf('CLASS');
    for (const l of lines.slice(1, 5)) {
      assert.equal(l[col - 1], ' ', l);
      assert.match(l[col] ?? '', /[a-z]/, l);
    }
  });
  it('shows expiry, time left and fingerprint, never more of the token', () => {
    assert.match(text, /node-x\s+expired\s+2025-05-31 22:00:00Z\s+-2h\s+bbbbbbbbbbbb\s+the token expired 2h ago/);
    assert.match(text, /node-e\s+expiring\s+2025-06-01 05:03:00Z\s+5h 3m\s+/);
    assert.match(text, /node-u\s+unreadable\s+-\s+-\s+-\s+permission denied/);
  });
  it('numbers the steps and lists the Multus pod before the workload pods, with overrides', () => {
    const plansAt = lines.indexOf('Plan');
    assert.ok(plansAt > 0);
    const after = lines.slice(plansAt);
    assert.match(after[1] ?? '', /^ {2}1\. node-x {2}expired, expires 2025-05-31 22:00:00Z: the token expired 2h ago$/);
    const podLines = after.filter((l) => /^\s+(restart|refused|blocked)\s/.test(l));
    assert.deepEqual(
      podLines.map((l) => l.trim().split(/\s+/).slice(0, 2)),
      [
        ['restart', 'kube-system/kube-multus-ds-x'],
        ['restart', 'shop/api-1'],
        ['refused', 'shop/cache-1'],
        ['blocked', 'shop/db-0'],
      ],
    );
    assert.match(text, /refused\s+shop\/cache-1\s+has emptyDir volumes \(data\) \(override: --allow-local-storage\)/);
    assert.match(text, /4 other pod\(s\) on the node are not evicted under --dependents/);
  });
  it('lists deferred, skipped and advisories, then closes with how to act', () => {
    const order = ['Plan', 'Deferred', 'Skipped', 'Advisories'].map((h) => lines.indexOf(h));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.ok(order.every((i) => i > 0));
    assert.match(text, /node-e\s+expiring\s+cap of 1 nodes per run reached \(override: --max-nodes\)/);
    assert.match(text, /node-u\s+unreadable\s+permission denied; nothing is restarted on a guess/);
    assert.match(text, /1 healthy node\(s\) need nothing/);
    assert.match(text, / {2}- tokens live 1h/);
    assert.equal(lines.at(-2), 'Dry run: nothing was changed. To act on this plan, run again with --execute.');
  });
  it('says so when there is nothing to do, without suggesting --execute', () => {
    const t = renderPlanTable({ findings: [findings[0] ?? makeFinding()], plan: makePlan(), mode: 'dry-run' });
    assert.match(t, /Nothing needs rotation\./);
    assert.doesNotMatch(t, /--execute/);
  });
  it('closes differently for execute and server-dry-run', () => {
    assert.match(renderPlanTable({ findings, plan, mode: 'execute' }),
      /Executing 1 step\(s\), one node at a time\.\n$/);
    assert.match(renderPlanTable({ findings, plan, mode: 'server-dry-run' }), /dryRun=All.*--execute\.\n$/);
  });
  it('colours after padding, so columns stay aligned', () => {
    const colored = renderPlanTable({ findings, plan, mode: 'dry-run',
      color: (style, t) => `<${style}>${t}</${style}>` });
    assert.match(colored, /<red>expired {3}<\/red>/);
    assert.match(colored, /<bold>Plan<\/bold>/);
    const stripped = colored.replace(/<\/?[a-z]+>/g, '');
    assert.equal(stripped, text);
  });
  it('renders an empty cluster', () => {
    assert.match(renderPlanTable({ findings: [], plan: makePlan(), mode: 'dry-run' }), /^No Multus pods found\./);
  });
});

describe('renderPlanTable: a finish step', () => {
  it('keeps the Multus pod and says so: the node restarts only what an earlier run left', () => {
    const finish: RestartPlan = makePlan({
      steps: [{ node: 'node-h', class: 'healthy',
        reason: 'finishes what the run of 2025-05-31T20:00Z left: 1 dependent pod(s) not evicted then',
        multusPod: { namespace: 'kube-system', name: 'kube-multus-ds-h', uid: 'm' }, finish: { since: NOW - 3600_000 },
        pods: [{ namespace: 'shop', name: 'api-1', uid: '1', action: 'restart',
          reason: 'attaches secondary networks' }] }],
    });
    const text = renderPlanTable({ findings, plan: finish, mode: 'execute' });
    assert.match(text, /1\. node-h {2}finish, healthy: finishes what the run of/);
    assert.match(text, /keep\s+kube-system\/kube-multus-ds-h\s+the Multus pod is not restarted/);
    assert.doesNotMatch(text, /restart\s+kube-system\/kube-multus-ds-h/);
  });
});

describe('the plan as -o json and -o yaml', () => {
  it('round-trips: both carry the same findings and plan', () => {
    assert.deepEqual(JSON.parse(renderJson({ findings, plan })), parse(renderYaml({ findings, plan })));
  });
});
