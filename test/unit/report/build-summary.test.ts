import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { buildSummary, readHistory, type SummaryInput } from '../../../scripts/report/build-summary.ts';
import type { NodeFinding, NodeStep, PodVerdict } from '../../../scripts/model.ts';
import { NOW, makeFinding, makePlan, makeRun } from '../fixtures.ts';

const S = Math.floor(NOW / 1000);

function size(data: Record<string, string>): number {
  return Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

function doc(data: Record<string, string>, key: string): Record<string, unknown> {
  const value = data[key];
  assert.ok(value !== undefined, `missing ${key}`);
  return parse(value) as Record<string, unknown>;
}

const findings: NodeFinding[] = [
  makeFinding({ node: 'a', class: 'expired', exp: S - 3600, fingerprint: 'aaaaaaaaaaaa' }),
  makeFinding({ node: 'b', class: 'expiring', exp: S + 7200 }),
  makeFinding({ node: 'c', class: 'expiring', exp: S + 3600 }),
  makeFinding({ node: 'd', class: 'healthy', exp: S + 86400 * 300 }),
  makeFinding({ node: 'e', class: 'self-refreshing', exp: S - 86400 * 10 }),
];
const step: NodeStep = {
  node: 'a',
  class: 'expired',
  reason: 'expired',
  exp: S - 3600,
  multusPod: { namespace: 'kube-system', name: 'm-a', uid: 'm' },
  pods: [{ namespace: 'shop', name: 'api', uid: 'u', action: 'blocked', reason: 'budget shop/api allows no disruption now', pdbs: ['shop/api'] }],
  nonDependentPods: 2,
};
const base: SummaryInput = {
  run: makeRun({ mode: 'execute', identity: 'system:serviceaccount:kube-system:rotator' }),
  findings,
  plan: makePlan({ steps: [step], deferred: [{ node: 'c', class: 'expiring', reason: 'cap', override: '--max-nodes' }], advisories: ['x'] }),
  warnings: ['the JWKS could not be read'],
  historyLimit: 20,
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
    const data = buildSummary({ ...base, findings: [makeFinding({ class: 'unreadable', exp: undefined })] });
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
      text: ['- &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `- &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n'),
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
    const { entries } = readHistory(stringify([{ startedAt: 'x', mode: 'm', via: 'v', outcome: 'o', exitCode: 1, token: 'eyJ...', counts: { a: 1, b: 'x' } }]));
    assert.deepEqual(entries, [{ startedAt: 'x', mode: 'm', via: 'v', outcome: 'o', exitCode: 1, counts: { a: 1 }, actedOn: [] }]);
  });

  describe('size', () => {
    function big(nodes: number): SummaryInput {
      const many: NodeFinding[] = Array.from({ length: nodes }, (_, i) =>
        makeFinding({
          node: `worker-${String(i).padStart(5, '0')}.example.internal`,
          class: i % 50 === 0 ? 'expired' : i % 97 === 0 ? 'unreadable' : 'healthy',
          reason: 'the token is valid for another 300 days and needs nothing from this run',
          exp: S + 86400 * 300 - i,
        }),
      );
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
          skipped: many.filter((f) => f.class !== 'expired').map((f) => ({ node: f.node, class: f.class, reason: f.reason })),
        }),
        previous: { 'history.yaml': stringify(history) },
        historyLimit: 201,
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
