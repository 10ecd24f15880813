import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LeftNode, NodeFinding } from '../../../scripts/model.ts';
import { EXIT, exitCodeForRun } from '../../../scripts/report/exit-codes.ts';
import { selectNodes } from '../../../scripts/plan/select-nodes.ts';
import { DAY, HOUR, NOW, makeFinding, makeMultusPod, makeNode, nodeMap, PLAN_CONFIG, planOf,
  type PlanInput } from '../fixtures.ts';

const config = PLAN_CONFIG;
const S = Math.floor(NOW / 1000);

function plan(overrides: Partial<PlanInput>) {
  return planOf({ findings: [], pods: [], pdbs: [], config, now: NOW, ...overrides });
}

describe('selectNodes: node order', () => {
  const findings: NodeFinding[] = [
    makeFinding({ node: 'e1', class: 'expiring', expiresAt: NOW + 2 * HOUR }),
    makeFinding({ node: 'e2', class: 'expiring', expiresAt: NOW + HOUR }),
    makeFinding({ node: 'e0', class: 'expiring', expiresAt: NOW + HOUR }),
    makeFinding({ node: 'x2', class: 'expired', expiresAt: NOW - 10_000 }),
    makeFinding({ node: 'i1', class: 'invalid', expiresAt: NOW + 90 * DAY, reason: 'signature does not verify' }),
    makeFinding({ node: 'x1', class: 'expired', expiresAt: NOW - 2 * HOUR }),
    makeFinding({ node: 'i0', class: 'invalid', expiresAt: undefined }),
    makeFinding({ node: 'ib', class: 'invalid', expiresAt: undefined }),
    makeFinding({ node: 'ia', class: 'invalid', expiresAt: undefined }),
  ];
  it('puts invalid and expired first by exp (none first, then name), then expiring by exp and name', () => {
    assert.deepEqual(
      plan({ findings }).steps.map((s) => s.node),
      ['i0', 'ia', 'ib', 'x1', 'x2', 'i1', 'e0', 'e2', 'e1'],
    );
  });
  it('repairs every broken node whatever --max-nodes says; the cap limits preventive rotations, in order', () => {
    const p = plan({ findings, config: { ...config, maxNodes: 2 } });
    assert.deepEqual(
      p.steps.map((s) => [s.node, s.repair === true]),
      [['i0', true], ['ia', true], ['ib', true], ['x1', true], ['x2', true], ['i1', true], ['e0', false], ['e2',
        false]],
    );
    assert.deepEqual(
      p.deferred.map((d) => [d.node, d.reason, d.override, d.cause]),
      [['e1', 'cap of 2 preventive rotations per run reached', '--max-nodes', 'cap']],
    );
    assert.deepEqual(p.broken, ['i0', 'i1', 'ia', 'ib', 'x1', 'x2']);
  });
  it('puts nodes that failed in earlier runs after the rest, fewest failures first, broken and preventive alike', () => {
    const failedRuns = new Map([['i0', 3], ['ia', 1], ['e0', 1]]);
    const p = plan({ findings, failedRuns });
    assert.deepEqual(
      p.steps.map((s) => s.node),
      ['ib', 'x1', 'x2', 'i1', 'ia', 'i0', 'e2', 'e1', 'e0'],
    );
    assert.deepEqual(p.steps.filter((s) => s.failedRuns).map((s) => [s.node, s.failedRuns]), [['ia', 1], ['i0', 3], [
      'e0',
      1,
    ]]);
  });
  it('is deterministic whatever the input order', () => {
    const base = plan({ findings, config: { ...config, maxNodes: 5 } });
    const reversed = plan({ findings: [...findings].reverse(), config: { ...config, maxNodes: 5 } });
    const rotated = plan({ findings: [...findings.slice(4), ...findings.slice(0, 4)],
      config: { ...config, maxNodes: 5 } });
    assert.deepEqual(reversed, base);
    assert.deepEqual(rotated, base);
  });
  it('keeps exp, class, reason and Multus pod on each step', () => {
    const [step] =
      plan({ findings: [makeFinding({ node: 'n', expiresAt: NOW - 5_000, reason: 'expired 5s ago' })] }).steps;
    assert.ok(step);
    assert.deepEqual(
      { expiresAt: step.expiresAt, class: step.class, reason: step.reason, multusPod: step.multusPod },
      { expiresAt: NOW - 5_000, class: 'expired', reason: 'expired 5s ago',
        multusPod: { namespace: 'kube-system', name: 'kube-multus-ds-n', uid: 'multus-n' } },
    );
  });
});

describe('selectNodes: deferred and skipped', () => {
  it('defers NotReady and missing nodes without using the cap', () => {
    const findings = ['a', 'b', 'c', 'd'].map((n, i) => makeFinding({ node: n, expiresAt: NOW + (i - 100) * 1000 }));
    const p = plan({
      findings,
      nodes: nodeMap(makeNode({ name: 'a', ready: false }), makeNode({ name: 'c' }), makeNode({ name: 'd' })),
      config: { ...config, maxNodes: 1 },
    });
    assert.deepEqual(
      p.steps.map((s) => s.node),
      ['c', 'd'],
    );
    assert.deepEqual(
      p.deferred.map((d) => [d.node, d.reason]),
      [
        ['a', 'node a is NotReady; its pods could not start again until it recovers'],
        ['b', 'node b was not found; nothing is restarted on a node that may be gone'],
      ],
    );
    assert.equal(p.deferred[0]?.override, undefined);
    assert.deepEqual(p.deferred.map((d) => d.cause), [undefined, undefined], 'not left by design: a person looks');
  });
  it('an unschedulable (cordoned) but Ready node is still acted on', () => {
    const p = plan({ findings: [makeFinding({ node: 'a' })],
      nodes: nodeMap(makeNode({ name: 'a', unschedulable: true })) });
    assert.equal(p.steps.length, 1);
  });
  it('defers a node whose Multus pod has no DaemonSet controller, or was not scanned', () => {
    const findings = ['a', 'b', 'c', 'd'].map((n) => makeFinding({ node: n }));
    const p = plan({
      findings,
      multusPods: [
        makeMultusPod('a', { controller: undefined }),
        makeMultusPod('b', { controller: { kind: 'ReplicaSet', name: 'm', uid: 'r' } }),
        makeMultusPod('c'),
      ],
    });
    assert.deepEqual(
      p.steps.map((s) => s.node),
      ['c'],
    );
    assert.deepEqual(
      p.deferred.map((d) => [d.node, d.reason]),
      [
        ['a',
          'the Multus pod kube-system/kube-multus-ds-a has no controller, not a DaemonSet, so it would not come back if deleted; restart it by hand'],
        ['b',
          'the Multus pod kube-system/kube-multus-ds-b has a ReplicaSet controller, not a DaemonSet, so it would not come back if deleted; restart it by hand'],
        ['d',
          'the Multus pod kube-system/kube-multus-ds-d was not among the scanned pods, so its controller is unknown'],
      ],
    );
  });
  it('never plans a node twice', () => {
    const p = plan({
      findings: [
        makeFinding({ node: 'a', multusPod: { namespace: 'kube-system', name: 'm2', uid: 'u2' } }),
        makeFinding({ node: 'a', multusPod: { namespace: 'kube-system', name: 'm1', uid: 'u1' } }),
      ],
    });
    assert.deepEqual(
      p.steps.map((s) => s.multusPod.name),
      ['m1'],
    );
    assert.match(p.deferred[0]?.reason ?? '', /already has a step/);
  });
  it('skips non-actionable nodes with their reason, by node name; unreadable is never acted on', () => {
    const p = plan({
      findings: [
        makeFinding({ node: 'z', class: 'healthy', reason: 'valid for 300d' }),
        makeFinding({ node: 'u', class: 'unreadable', reason: 'the file could not be read: permission denied' }),
        makeFinding({ node: 'l', class: 'legacy', reason: 'a legacy secret token with no expiry' }),
        makeFinding({ node: 's', class: 'self-refreshing', reason: 'thick plugin refreshes its token' }),
      ],
    });
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.deferred, []);
    assert.deepEqual(p.skipped, [
      { node: 'l', class: 'legacy', reason: 'a legacy secret token with no expiry' },
      { node: 's', class: 'self-refreshing', reason: 'thick plugin refreshes its token' },
      { node: 'u', class: 'unreadable',
        reason: 'the file could not be read: permission denied; nothing is restarted on a guess' },
      { node: 'z', class: 'healthy', reason: 'valid for 300d' },
    ]);
  });
  it('copies advisories and sets createdAt to now', () => {
    const advisories = ['tokens live 1h; run at least every 30m'];
    const p = plan({ advisories, now: NOW + 5 });
    assert.deepEqual(p.advisories, advisories);
    assert.notEqual(p.advisories, advisories);
    assert.equal(p.createdAt, NOW + 5);
  });
});

describe('selectNodes: external credentials (issue 10 item 8)', () => {
  it('skips a node whose kubeconfig holds no literal token, with its reason, and plans nothing for it', () => {
    const p = plan({
      findings: [
        makeFinding({ node: 'c1', class: 'external-credentials', expiresAt: undefined,
          reason: 'the kubeconfig\'s user "multus" authenticates with a client certificate, not a token' }),
      ],
    });
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.deferred, []);
    assert.deepEqual(p.skipped.map((d) => [d.node, d.class]), [['c1', 'external-credentials']]);
  });
});

describe('selectNodes: token lifetimes too short for the cadence (issue 17 item 3: one rule, per node)', () => {
  // A pod-bound token of `lifetime` seconds issued `iatAgo` seconds ago, with no kubernetes.io.warnafter.
  const lived = (node: string, lifetime: number, iatAgo = 600, cls: NodeFinding['class'] = 'expiring') =>
    makeFinding({ node, class: cls, expiresAt: (S - iatAgo + lifetime) * 1000, signature: 'valid',
      review: 'authenticated',
      claims: { podUid: `multus-${node}`, podName: `kube-multus-ds-${node}`, iat: S - iatAgo,
        exp: S - iatAgo + lifetime } });
  const year = (node: string) =>
    makeFinding({ node, class: 'expired', signature: 'valid', review: 'rejected',
      claims: { podUid: `multus-${node}`, iat: S - 366 * 86400, exp: S - 86400, warnafter: S - 366 * 86400 + 3607 } });
  it('defers a node whose own token lives 1 h, 90 min or 12 h, saying why and which flag changes it; exit 3', () => {
    const findings = [lived('n1', 3607), lived('n2', 90 * 60), lived('n3', 12 * 3600),
      lived('n4', 3600, 7200, 'expired')];
    const p = plan({ findings });
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.deferred.map((d) => d.node).sort(), ['n1', 'n2', 'n3', 'n4']);
    for (const d of p.deferred) {
      assert.match(d.reason, /^no restart planned: the token 0123456789ab is bound to its pod and was granted \d+h/);
      assert.match(d.reason, /inside --expiring-within \(1d\) by the next run \(--schedule-interval 1h\)/);
      assert.match(d.reason, /--service-account-extend-token-expiration=true/);
      assert.equal(d.override, d.node === 'n4' ? '--schedule-interval' : '--expiring-within', d.node);
    }
    assert.match(p.deferred.find((d) => d.node === 'n4')?.reason ?? '', /run more often than every 1h/);
    assert.match(p.deferred.find((d) => d.node === 'n3')?.reason ?? '',
      /granted 12h .*lower --expiring-within below 11h/);
    assert.equal(exitCodeForRun(findings, p, undefined, 'execute', { interrupted: false, leaseHeld: false }),
      EXIT.ATTENTION);
  });
  it('judges each node by its own token: a node granted a year is restarted beside a node granted 1 h', () => {
    const p = plan({ findings: [lived('n1', 3607), year('n2')] });
    assert.deepEqual(p.steps.map((s) => s.node), ['n2']);
    assert.deepEqual(p.deferred.map((d) => d.node), ['n1']);
  });
  it('a shorter --expiring-within that a fresh token outlasts until the next run plans the restart again', () => {
    const p = plan({ findings: [lived('n3', 12 * 3600)], config: { ...config, expiringWithinMs: 6 * HOUR } });
    assert.deepEqual(p.steps.map((s) => s.node), ['n3']);
  });
  it('deferred short-lived nodes do not make pacing pull healthy nodes forward in their place', () => {
    const healthy = Array.from({ length: 20 },
      (_, i) =>
        makeFinding({ node: `h${String(i).padStart(2, '0')}`, class: 'healthy', expiresAt: NOW + 400 * DAY,
          signature: 'valid', review: 'authenticated',
          claims: { podUid: `m${i}`, iat: S - 60, exp: S + 400 * 86400, warnafter: S - 60 + 3607 } }));
    const shorts = [1, 2, 3, 4, 5].map((i) => lived(`n${i}`, 3600, 7200, 'expired'));
    const p = plan({ findings: [...shorts, ...healthy],
      pacing: { intervalMs: HOUR, nodeTimeMs: 5 * 60_000, runDeadlineMs: 50 * 60_000, maxNodes: 10,
        marginMs: 24 * HOUR } });
    assert.deepEqual(p.steps.map((s) => s.node), [], 'no healthy node is paced in for the deferred ones');
    assert.equal(p.deferred.length, 5);
  });
  it('a deferred short-lived node does not take a --max-nodes slot', () => {
    const p = plan({ findings: [lived('n1', 3607), year('n2')], config: { ...config, maxNodes: 1 } });
    assert.deepEqual(p.steps.map((s) => s.node), ['n2']);
  });
});

describe('selectNodes: the nodes whose pods the plan needs (issue 20 item 1)', () => {
  const left = (
    node: string,
  ): [string, LeftNode] => [node, { since: NOW - HOUR,
    pods: [{ namespace: 'apps', name: `w-${node}`, uid: `u-${node}`, reason: 'the budget allowed no disruption' }] }];
  it("the rotated nodes and the healthy nodes where earlier runs left work: no other node's pods are listed", () => {
    const selection = selectNodes({
      findings: [
        makeFinding({ node: 'a', class: 'expired' }),
        makeFinding({ node: 'b', class: 'expiring', expiresAt: NOW + HOUR }),
        makeFinding({ node: 'e', class: 'expiring', expiresAt: NOW + 2 * HOUR }),
        makeFinding({ node: 'c', class: 'healthy', expiresAt: NOW + 300 * DAY }),
        makeFinding({ node: 'd', class: 'healthy', expiresAt: NOW + 300 * DAY }),
      ],
      leftWork: new Map([left('a'), left('c'), left('e')]),
      config: { ...config, maxNodes: 1 },
      now: NOW,
    });
    assert.deepEqual(selection.rotations.map((r) => r.finding.node), ['a', 'b']);
    assert.deepEqual([...selection.finishCandidates.keys()], ['c']);
    assert.deepEqual([...selection.podNodes], ['a', 'b', 'c']);
    assert.deepEqual(selection.leftVerdicts.map((v) => [v.node, v.status]), [['a', 'in-rotation'], ['e', 'waiting']]);
    assert.deepEqual(selection.deferred.map((d) => d.node), ['e']);
  });
});
