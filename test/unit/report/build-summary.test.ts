import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { buildSummary, type SummaryInput } from '../../../scripts/report/build-summary.ts';
import { readHistory } from '../../../scripts/report/summary-history.ts';
import type { ExecutionReport, NodeExecution, NodeFinding, NodeStep, PodVerdict } from '../../../scripts/model.ts';
import { DAY, HOUR, NOW, makeFinding, makePlan, makeRun } from '../fixtures.ts';

function size(data: Record<string, string>): number {
  return Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

function doc(data: Record<string, string>, key: string): Record<string, unknown> {
  const value = data[key];
  assert.ok(value !== undefined, `missing ${key}`);
  return parse(value) as Record<string, unknown>;
}

const findings: NodeFinding[] = [
  makeFinding({ node: 'a', class: 'expired', expiresAt: NOW - HOUR, fingerprint: 'aaaaaaaaaaaa' }),
  makeFinding({ node: 'b', class: 'expiring', expiresAt: NOW + 2 * HOUR }),
  makeFinding({ node: 'c', class: 'expiring', expiresAt: NOW + HOUR }),
  makeFinding({ node: 'd', class: 'healthy', expiresAt: NOW + 300 * DAY }),
  makeFinding({ node: 'e', class: 'self-refreshing', expiresAt: NOW - 10 * DAY }),
];
const step: NodeStep = {
  node: 'a',
  class: 'expired',
  reason: 'expired',
  expiresAt: NOW - HOUR,
  multusPod: { namespace: 'kube-system', name: 'm-a', uid: 'm' },
  pods: [{ namespace: 'shop', name: 'api', uid: 'u', action: 'blocked',
    reason: 'budget shop/api allows no disruption now', pdbs: ['shop/api'] }],
  nonDependentPods: 2,
};
const base: SummaryInput = {
  run: makeRun({ mode: 'execute', identity: 'system:serviceaccount:kube-system:rotator' }),
  findings,
  plan: makePlan({ steps: [step], deferred: [{ node: 'c', class: 'expiring', reason: 'cap', override: '--max-nodes' }],
    advisories: ['x'] }),
  warnings: ['the JWKS could not be read'],
  historyLimit: 20,
};

const rotatedA: NodeExecution = {
  node: 'a',
  outcome: 'partial',
  reason: 'Multus restarted; 1 dependent pod blocked',
  startedAt: NOW + 1_000,
  finishedAt: NOW + 31_000,
  multus: { oldPod: 'm-a', oldUid: 'm', newPod: 'm-a-2', newUid: 'm2', readyMs: 4_200, tokenMs: 350 },
  tokenBefore: { fingerprint: 'aaaaaaaaaaaa', expiresAt: NOW - HOUR },
  tokenAfter: { fingerprint: 'ffffffffffff', expiresAt: NOW + 365 * DAY },
  pods: [
    {
      namespace: 'shop',
      name: 'web-1',
      uid: 'w1',
      outcome: 'evicted',
      reason: 'evicted; replacement Ready',
      attempts: 2,
      evictMs: 5_000,
      goneMs: 1_200,
      replacementReadyMs: 9_000,
      replacement: { name: 'web-2', uid: 'w2' },
    },
    { namespace: 'shop', name: 'api', uid: 'u', outcome: 'blocked',
      reason: 'budget shop/api allowed no disruption for 5m', attempts: 30 },
  ],
};
const execution: ExecutionReport = {
  mode: 'execute',
  startedAt: NOW + 500,
  finishedAt: NOW + 40_000,
  lease: { name: 'multus-token-rotator', namespace: 'multus-token-rotator', holder: 'job-1', acquired: true },
  stoppedBecause: 'the deadline of 30m was reached',
  nodes: [
    rotatedA,
    { node: 'b', outcome: 'skipped', reason: 'the re-check found a fresh token', pods: [] },
    { node: 'c', outcome: 'not-started', reason: 'the run stopped before this node', pods: [] },
  ],
};

describe('buildSummary', () => {
  it('writes flat keys for jsonpath', () => {
    const data = buildSummary(base);
    assert.equal(data['last-run'], '2025-06-01T00:00:00.000Z');
    assert.equal(data.outcome, 'attention');
    assert.equal(data['exit-code'], '3');
    assert.equal(data['earliest-expiry'], '2025-05-31T23:00:00.000Z', 'self-refreshing tokens do not count');
    assert.equal(data['nodes-by-class'], 'expired=1,expiring=2,healthy=1,self-refreshing=1');
  });
  it('leaves earliest-expiry empty when no token has one', () => {
    const data = buildSummary({ ...base, findings: [makeFinding({ class: 'unreadable', expiresAt: undefined })] });
    assert.equal(data['earliest-expiry'], '');
    assert.equal(data['nodes-by-class'], 'unreadable=1');
  });
  it('puts the whole run in summary.yaml', () => {
    const s = doc(buildSummary(base), 'summary.yaml');
    assert.deepEqual(s.counts, { expired: 1, expiring: 2, healthy: 1, 'self-refreshing': 1 });
    assert.equal((s.run as Record<string, unknown>).identity, 'system:serviceaccount:kube-system:rotator');
    const nodes = s.nodes as Array<Record<string, unknown>>;
    assert.equal(nodes.length, 5);
    assert.deepEqual(nodes[0], {
      node: 'a',
      class: 'expired',
      reason: 'the token expired 1h ago',
      multusPod: 'kube-system/kube-multus-ds-a',
      fingerprint: 'aaaaaaaaaaaa',
      expires: '2025-05-31T23:00:00.000Z',
      timeLeft: '-1h',
      readVia: 'exec',
    });
    const plan = s.plan as Record<string, unknown>;
    const steps = plan.steps as Array<Record<string, unknown>>;
    assert.deepEqual(steps[0]?.pods, [
      { pod: 'shop/api', action: 'blocked', reason: 'budget shop/api allows no disruption now', pdbs: ['shop/api'] },
    ]);
    assert.deepEqual(plan.deferred, [{ node: 'c', class: 'expiring', reason: 'cap', override: '--max-nodes' }]);
    assert.deepEqual(plan.advisories, ['x']);
    assert.deepEqual(s.warnings, ['the JWKS could not be read']);
    assert.equal(s.notes, undefined);
  });
  it('adds this run to the front of the history and keeps historyLimit entries', () => {
    const old = Array.from({ length: 5 }, (_, i) => ({
      startedAt: new Date(NOW - (i + 1) * 3_600_000).toISOString(),
      mode: 'dry-run',
      via: 'in-cluster',
      outcome: 'ok',
      exitCode: 0,
      counts: { healthy: 5 },
      actedOn: [],
    }));
    const data = buildSummary({ ...base, previous: { 'history.yaml': stringify(old) }, historyLimit: 3 });
    const h = parse(data['history.yaml'] ?? '') as Array<Record<string, unknown>>;
    assert.deepEqual(
      h.map((e) => e.startedAt),
      ['2025-06-01T00:00:00.000Z', old[0]?.startedAt, old[1]?.startedAt],
    );
    assert.deepEqual(h[0], {
      startedAt: '2025-06-01T00:00:00.000Z',
      mode: 'execute',
      via: 'in-cluster',
      outcome: 'attention',
      exitCode: 3,
      counts: { expired: 1, expiring: 2, healthy: 1, 'self-refreshing': 1 },
      actedOn: ['a'],
    });
  });
  it('lists no nodes as acted on in a dry run', () => {
    const data = buildSummary({ ...base, run: makeRun({ mode: 'dry-run' }) });
    const h = parse(data['history.yaml'] ?? '') as Array<Record<string, unknown>>;
    assert.deepEqual(h[0]?.actedOn, []);
  });

  const malformed: Array<{ name: string; text: string; kept: number; warning: RegExp }> = [
    { name: 'not YAML', text: '- a: [unclosed', kept: 0, warning: /could not be parsed and was dropped/ },
    { name: 'not a list', text: 'runs: 3', kept: 0, warning: /not a list of runs/ },
    {
      name: 'an alias bomb',
      text: ['- &a [x, x, x, x, x, x, x, x, x, x]',
        ...'bcdefgh'.split('').map((c, i) => `- &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n'),
      kept: 0,
      warning: /could not be parsed and was dropped/,
    },
    { name: 'duplicate keys', text: '- startedAt: x\n  startedAt: y\n', kept: 0, warning: /./ },
    {
      name: 'some bad entries',
      text: stringify([
        { startedAt: 'x', mode: 'dry-run', via: 'local', outcome: 'ok', exitCode: 0 },
        { startedAt: 'y', exitCode: 'zero' },
        'a string',
      ]),
      kept: 1,
      warning: /2 malformed entries .* were dropped/,
    },
  ];
  for (const c of malformed) {
    it(`drops a malformed previous history with a warning: ${c.name}`, () => {
      const data = buildSummary({ ...base, previous: { 'history.yaml': c.text, 'summary.yaml': 'anything' } });
      const h = parse(data['history.yaml'] ?? '') as unknown[];
      assert.equal(h.length, 1 + c.kept);
      const warnings = doc(data, 'summary.yaml').warnings as string[];
      assert.ok(warnings.some((w) => c.warning.test(w)), warnings.join('\n'));
    });
  }
  it('keeps only known fields of previous entries', () => {
    const { entries } = readHistory(
      stringify([{ startedAt: 'x', mode: 'm', via: 'v', outcome: 'o', exitCode: 1, token: 'eyJ...',
        counts: { a: 1, b: 'x' } }]),
    );
    assert.deepEqual(entries, [{ startedAt: 'x', mode: 'm', via: 'v', outcome: 'o', exitCode: 1, counts: { a: 1 },
      actedOn: [] }]);
  });

  describe('execution', () => {
    const withRun: SummaryInput = { ...base, execution };
    it('adds an execution section with the lease, the stop reason and every node in detail', () => {
      const e = doc(buildSummary(withRun), 'summary.yaml').execution as Record<string, unknown>;
      assert.equal(e.mode, 'execute');
      assert.equal(e.startedAt, '2025-06-01T00:00:00.500Z');
      assert.deepEqual(e.lease, { name: 'multus-token-rotator/multus-token-rotator', holder: 'job-1', acquired: true });
      assert.equal(e.stoppedBecause, 'the deadline of 30m was reached');
      assert.deepEqual(e.outcomes, { 'not-started': 1, partial: 1, skipped: 1 });
      const nodes = e.nodes as Array<Record<string, unknown>>;
      assert.deepEqual(
        nodes.map((n) => [n.node, n.outcome]),
        [
          ['a', 'partial'],
          ['b', 'skipped'],
          ['c', 'not-started'],
        ],
      );
      assert.deepEqual(nodes[0], {
        node: 'a',
        outcome: 'partial',
        reason: 'Multus restarted; 1 dependent pod blocked',
        startedAt: '2025-06-01T00:00:01.000Z',
        finishedAt: '2025-06-01T00:00:31.000Z',
        multus: { oldPod: 'm-a', newPod: 'm-a-2', readyMs: 4200, tokenMs: 350 },
        tokenBefore: { fingerprint: 'aaaaaaaaaaaa', expires: '2025-05-31T23:00:00.000Z' },
        tokenAfter: { fingerprint: 'ffffffffffff', expires: '2026-06-01T00:00:00.000Z' },
        pods: [
          {
            pod: 'shop/web-1',
            outcome: 'evicted',
            reason: 'evicted; replacement Ready',
            attempts: 2,
            evictMs: 5000,
            goneMs: 1200,
            replacementReadyMs: 9000,
            replacement: 'web-2',
          },
          { pod: 'shop/api', outcome: 'blocked', reason: 'budget shop/api allowed no disruption for 5m', attempts: 30 },
        ],
      });
      assert.deepEqual(nodes[2], { node: 'c', outcome: 'not-started', reason: 'the run stopped before this node',
        pods: [] });
      assert.equal(e.nodesNotShown, undefined);
    });
    it('names who holds the lease when this run did not get it', () => {
      const lease = { name: 'l', namespace: 'ns', holder: 'job-2', acquired: false, heldBy: 'job-1',
        heldSince: '2025-05-31T23:59:00.000Z' };
      const e = doc(buildSummary({ ...base, execution: { ...execution, lease, nodes: [] } }), 'summary.yaml')
        .execution as Record<string, unknown>;
      assert.deepEqual(e.lease, { name: 'ns/l', holder: 'job-2', acquired: false, heldBy: 'job-1',
        heldSince: '2025-05-31T23:59:00.000Z' });
    });
    it('has no execution section without a report', () => {
      assert.equal(doc(buildSummary(base), 'summary.yaml').execution, undefined);
    });
    it('records the nodes whose step ran, with their outcome, in the history entry', () => {
      const failed: NodeExecution = { node: 'd', outcome: 'failed', reason: 'Multus not Ready in 5m', pods: [] };
      const data = buildSummary({ ...withRun, execution: { ...execution, nodes: [...execution.nodes, failed] } });
      const h = parse(data['history.yaml'] ?? '') as Array<Record<string, unknown>>;
      assert.deepEqual(h[0]?.acted, [
        { node: 'a', outcome: 'partial' },
        { node: 'd', outcome: 'failed' },
      ]);
      assert.deepEqual(h[0]?.actedOn, ['a', 'd']);
      const without = parse(buildSummary(base)['history.yaml'] ?? '') as Array<Record<string, unknown>>;
      assert.equal(without[0]?.acted, undefined);
    });
    it('keeps acted from previous entries and drops malformed items of it', () => {
      const { entries } = readHistory(
        stringify([
          { startedAt: 'x', mode: 'execute', via: 'v', outcome: 'o', exitCode: 0,
            acted: [{ node: 'a', outcome: 'rotated', token: 'eyJ' }, 'b', { node: 3 }] },
        ]),
      );
      assert.deepEqual(entries[0]?.acted, [{ node: 'a', outcome: 'rotated' }]);
    });

    function bigRun(nodes: number, podsPerNode: number, rest: 'not-started' | 'skipped' = 'not-started'): SummaryInput {
      const many: NodeFinding[] = Array.from({ length: nodes },
        (_, i) =>
          makeFinding({ node: `worker-${String(i).padStart(5, '0')}.example.internal`, class: 'expired',
            reason: 'the token expired 1h ago and the Multus pod must be restarted' }));
      const pods = (outcome: 'evicted' | 'not-started') =>
        Array.from({ length: podsPerNode }, (_, j) => ({
          namespace: 'shop',
          name: `pod-${j}`,
          uid: `u${j}`,
          outcome,
          reason: outcome === 'evicted' ? 'evicted; the replacement is Ready' : 'the run stopped before this pod',
          ...(outcome === 'evicted' ? { attempts: 1, evictMs: 20, goneMs: 900, replacementReadyMs: 4000 } : {}),
        }));
      const nodeRuns: NodeExecution[] = many.map((f, i) => ({
        node: f.node,
        outcome: i < 3 ? 'rotated' : rest,
        reason: i < 3 ? 'Multus restarted with a fresh token' : 'the run stopped before this node',
        pods: i < 3 ? pods('evicted') : rest === 'not-started' ? pods('not-started') : [],
      }));
      const acted = nodeRuns[1];
      assert.ok(acted !== undefined);
      acted.pods = [...acted.pods, ...pods('not-started').map((p) => ({ ...p, name: `late-${p.name}` }))];
      return {
        ...base,
        findings: many,
        plan: makePlan({
          steps: many.map((f) => ({ node: f.node, class: f.class, reason: f.reason, multusPod: f.multusPod,
            pods: [] })
          ),
        }),
        execution: { ...execution, stoppedBecause: 'deadline', nodes: nodeRuns },
      };
    }
    it('when collapsing, keeps the nodes whose step ran in detail and counts the not-started ones', () => {
      const input = bigRun(400, 20);
      const full = size(buildSummary(input));
      const data = buildSummary({ ...input, maxBytes: full - 1 });
      assert.ok(size(data) < full);
      const s = doc(data, 'summary.yaml');
      assert.match(String(s.notes), /per-node list collapsed.*execution\.nodesNotShown/);
      const e = s.execution as Record<string, unknown>;
      const nodes = e.nodes as Array<Record<string, unknown>>;
      assert.deepEqual(
        nodes.map((n) => n.outcome),
        ['rotated', 'rotated', 'rotated'],
      );
      assert.equal((nodes[0]?.pods as unknown[]).length, 20);
      assert.equal((nodes[1]?.pods as unknown[]).length, 20);
      assert.deepEqual(nodes[1]?.podsNotShown, { 'not-started': 20 });
      assert.deepEqual(e.nodesNotShown, { 'not-started': 397 });
      assert.deepEqual(e.outcomes, { 'not-started': 397, rotated: 3 });
    });
    it('when truncating, lists the nodes whose step ran first and stays under maxBytes', () => {
      const input = bigRun(400, 20, 'skipped');
      const run = input.execution;
      assert.ok(run !== undefined);
      // Put the acted nodes at the end so that plain truncation would drop them.
      const reordered = { ...input, execution: { ...run, nodes: [...run.nodes.slice(3), ...run.nodes.slice(0, 3)] } };
      const data = buildSummary({ ...reordered, maxBytes: 150_000 });
      assert.ok(size(data) <= 150_000, String(size(data)));
      const s = doc(data, 'summary.yaml');
      assert.match(String(s.notes), /lists truncated/);
      const e = s.execution as Record<string, unknown>;
      const nodes = e.nodes as Array<Record<string, unknown>>;
      assert.ok(nodes.length > 3 && nodes.length < 400, String(nodes.length));
      assert.deepEqual(
        nodes.slice(0, 4).map((n) => n.outcome),
        ['rotated', 'rotated', 'rotated', 'skipped'],
      );
      assert.deepEqual(e.nodesNotShown, { skipped: 400 - nodes.length });
    });
  });

  describe('size', () => {
    function big(nodes: number): SummaryInput {
      const many: NodeFinding[] = Array.from({ length: nodes }, (_, i) =>
        makeFinding({
          node: `worker-${String(i).padStart(5, '0')}.example.internal`,
          class: i % 50 === 0 ? 'expired' : i % 97 === 0 ? 'unreadable' : 'healthy',
          reason: 'the token is valid for another 300 days and needs nothing from this run',
          expiresAt: NOW + 300 * DAY - i * 1000,
        }));
      const pods: PodVerdict[] = Array.from({ length: 110 }, (_, i) => ({
        namespace: 'shop',
        name: `pod-${i}`,
        uid: `u${i}`,
        action: 'restart',
        reason: 'attaches secondary networks through Multus (k8s.v1.cni.cncf.io/networks)',
      }));
      const steps: NodeStep[] = many
        .filter((f) => f.class === 'expired')
        .slice(0, 10)
        .map((f) => ({ node: f.node, class: f.class, reason: f.reason, multusPod: f.multusPod, pods }));
      const history = Array.from({ length: 200 }, (_, i) => ({
        startedAt: new Date(NOW - (i + 1) * 3_600_000).toISOString(),
        mode: 'execute',
        via: 'in-cluster',
        outcome: 'ok',
        exitCode: 0,
        counts: { healthy: nodes },
        actedOn: Array.from({ length: 10 }, (_, j) => `worker-${String(i * 10 + j).padStart(5, '0')}.example.internal`),
      }));
      return {
        ...base,
        findings: many,
        plan: makePlan({
          steps,
          skipped: many.filter((f) => f.class !== 'expired').map((f) => ({ node: f.node, class: f.class,
            reason: f.reason })
          ),
        }),
        previous: { 'history.yaml': stringify(history) },
        historyLimit: 201,
        execution: { ...execution, nodes: steps.map((st) => ({ ...rotatedA, node: st.node })) },
      };
    }

    it('fits without trimming when small', () => {
      const input = big(20);
      const data = buildSummary(input);
      assert.equal((parse(data['history.yaml'] ?? '') as unknown[]).length, 201);
      assert.equal(doc(data, 'summary.yaml').notes, undefined);
    });
    it('trims history first, oldest first, and says so', () => {
      const input = big(20);
      const full = size(buildSummary(input));
      const data = buildSummary({ ...input, maxBytes: full - 5_000 });
      assert.ok(size(data) <= full - 5_000);
      const h = parse(data['history.yaml'] ?? '') as Array<Record<string, unknown>>;
      assert.ok(h.length < 201 && h.length > 1, String(h.length));
      assert.equal(h[0]?.startedAt, '2025-06-01T00:00:00.000Z');
      assert.equal(h.at(-1)?.startedAt, new Date(NOW - (h.length - 1) * 3_600_000).toISOString());
      const s = doc(data, 'summary.yaml');
      assert.equal((s.nodes as unknown[]).length, 20, 'nodes are not collapsed while history can go');
      assert.match(String(s.notes), /history trimmed to the newest \d+ of 201 runs/);
    });
    it('then collapses the per-node list, keeping nodes that need attention', () => {
      const input = big(5000);
      const data = buildSummary({ ...input, maxBytes: 900_000 });
      assert.ok(size(data) <= 900_000, String(size(data)));
      assert.equal((parse(data['history.yaml'] ?? '') as unknown[]).length, 1);
      const s = doc(data, 'summary.yaml');
      const nodes = s.nodes as Array<Record<string, unknown>>;
      const attention = input.findings.filter((f) => f.class !== 'healthy');
      assert.deepEqual(
        nodes.map((n) => n.node),
        attention.map((f) => f.node),
      );
      assert.deepEqual(s.nodesNotShown, { healthy: 5000 - attention.length });
      assert.equal((s.plan as Record<string, unknown[]>).steps?.length, 10);
      assert.match(String(s.notes), /per-node list collapsed/);
    });
    it('as a last resort truncates lists, still under maxBytes, with counts of what is hidden', () => {
      const input = big(5000);
      const data = buildSummary({ ...input, maxBytes: 40_000 });
      assert.ok(size(data) <= 40_000, String(size(data)));
      const s = doc(data, 'summary.yaml');
      assert.match(String(s.notes), /lists truncated to \d+ entries/);
      assert.ok((s.nodes as unknown[]).length > 0);
      const counts = s.counts as Record<string, number>;
      assert.equal(counts.expired, 100);
    });
    it('never contains anything that looks like a token', () => {
      const data = buildSummary(big(200));
      for (const v of Object.values(data)) {
        assert.doesNotMatch(v, /eyJ[A-Za-z0-9_-]{10,}/);
      }
    });
  });
});
