import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { escapeLabelValue, renderMetrics } from '../../../scripts/report/metrics.ts';
import type { ExecutionReport, NodeFinding } from '../../../scripts/model.ts';
import { DAY, HOUR, NOW, makeFinding, makeRun } from '../fixtures.ts';

const S = Math.floor(NOW / 1000);
const ALERT_RULES = readFileSync(new URL('../../../alert-rules.yaml', import.meta.url), 'utf8');

const findings: NodeFinding[] = [
  makeFinding({ node: 'a', class: 'expired', expiresAt: NOW - HOUR }),
  makeFinding({ node: 'b', class: 'expiring', expiresAt: NOW + 2 * HOUR }),
  makeFinding({ node: 'c', class: 'healthy', expiresAt: NOW + 300 * DAY }),
  makeFinding({ node: 'd', class: 'self-refreshing', expiresAt: NOW - 10 * DAY }),
  makeFinding({ node: 'e', class: 'unreadable', expiresAt: undefined }),
];
const execution: ExecutionReport = {
  mode: 'execute',
  startedAt: NOW,
  finishedAt: NOW + 60_000,
  nodes: [
    {
      node: 'a',
      outcome: 'partial',
      reason: 'one pod blocked',
      pods: [
        { namespace: 'ns', name: 'p1', uid: '1', outcome: 'evicted', reason: 'ok' },
        { namespace: 'ns', name: 'p2', uid: '2', outcome: 'evicted', reason: 'ok' },
        { namespace: 'ns', name: 'p3', uid: '3', outcome: 'blocked', reason: 'budget' },
      ],
    },
    { node: 'b', outcome: 'not-started', reason: 'deadline',
      pods: [{ namespace: 'ns', name: 'p4', uid: '4', outcome: 'not-started', reason: 'deadline' }] },
  ],
};
const run = makeRun({ mode: 'execute', startedAt: NOW, finishedAt: NOW + 61_500, exitCode: 3 });

/** Samples by series ("name" or "name{labels}"), checking the format on the way. */
function samples(text: string): Map<string, string> {
  assert.ok(text.endsWith('\n'), 'ends with a line feed');
  const out = new Map<string, string>();
  const typed = new Set<string>();
  const helped = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) gauge$/.exec(line);
    if (help?.[1] !== undefined) {
      helped.add(help[1]);
      continue;
    }
    if (type?.[1] !== undefined) {
      assert.ok(helped.has(type[1]), `TYPE after HELP: ${line}`);
      typed.add(type[1]);
      continue;
    }
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="(?:[^"\\\n]|\\.)*"(?:,[a-z_]+="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/
        .exec(line);
    assert.ok(m !== null, `not a sample line: ${JSON.stringify(line)}`);
    const [, name = '', labels = '', value = ''] = m;
    assert.ok(typed.has(name), `sample before its TYPE: ${line}`);
    const key = name + labels;
    assert.ok(!out.has(key), `duplicate series ${key}`);
    out.set(key, value);
  }
  return out;
}

describe('renderMetrics', () => {
  const text = renderMetrics({ findings, run, execution });
  const got = samples(text);

  it('reports the earliest expiry of tokens that do not refresh themselves, in seconds', () => {
    assert.equal(got.get('multus_token_rotator_earliest_token_expiry_timestamp_seconds'), String(S - 3600));
  });
  it('omits the expiry family when no token has an expiry', () => {
    const t = renderMetrics({ findings: [makeFinding({ class: 'unreadable', expiresAt: undefined })], run });
    assert.doesNotMatch(t, /earliest_token_expiry/);
    samples(t);
  });
  it('counts nodes for every class, 0 included', () => {
    assert.deepEqual(
      [...got].filter(([k]) => k.startsWith('multus_token_rotator_nodes{')),
      [
        ['multus_token_rotator_nodes{class="invalid"}', '0'],
        ['multus_token_rotator_nodes{class="expired"}', '1'],
        ['multus_token_rotator_nodes{class="expiring"}', '1'],
        ['multus_token_rotator_nodes{class="unreadable"}', '1'],
        ['multus_token_rotator_nodes{class="legacy"}', '0'],
        ['multus_token_rotator_nodes{class="self-refreshing"}', '1'],
        ['multus_token_rotator_nodes{class="external-credentials"}', '0'],
        ['multus_token_rotator_nodes{class="healthy"}', '1'],
      ],
    );
  });
  it('describes the run: start, exit code, duration, mode', () => {
    assert.equal(got.get('multus_token_rotator_last_run_timestamp_seconds'), String(S));
    assert.equal(got.get('multus_token_rotator_last_run_exit_code'), '3');
    assert.equal(got.get('multus_token_rotator_last_run_duration_seconds'), '61.5');
    assert.equal(got.get('multus_token_rotator_last_run_info{mode="execute",via="in-cluster"}'), '1');
  });
  it('counts this run’s nodes and pods by outcome, 0 included', () => {
    assert.equal(got.get('multus_token_rotator_run_nodes{outcome="partial"}'), '1');
    assert.equal(got.get('multus_token_rotator_run_nodes{outcome="not-started"}'), '1');
    assert.equal(got.get('multus_token_rotator_run_nodes{outcome="rotated"}'), '0');
    assert.equal(got.get('multus_token_rotator_run_pods{outcome="evicted"}'), '2');
    assert.equal(got.get('multus_token_rotator_run_pods{outcome="blocked"}'), '1');
    assert.equal(got.get('multus_token_rotator_run_pods{outcome="not-started"}'), '1');
    assert.equal(got.get('multus_token_rotator_run_pods{outcome="failed"}'), '0');
    assert.equal([...got.keys()].filter((k) => k.startsWith('multus_token_rotator_run_nodes{')).length, 7); // finished included
    assert.equal([...got.keys()].filter((k) => k.startsWith('multus_token_rotator_run_pods{')).length, 7);
  });
  it('writes every outcome as 0 without an execution report', () => {
    const g = samples(renderMetrics({ findings, run: makeRun() }));
    const outcomes = [...g].filter(([k]) => /_run_(nodes|pods)\{/.test(k));
    assert.equal(outcomes.length, 14);
    assert.ok(outcomes.every(([, v]) => v === '0'));
  });
});

describe('escapeLabelValue', () => {
  it('escapes backslash, double quote and line feed, in that order', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue('plain-value_1'), 'plain-value_1');
  });
});

describe('alert-rules.yaml', () => {
  interface Rule {
    alert: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }
  const doc = parse(ALERT_RULES) as { groups: Array<{ name: string; rules: Rule[] }> };
  const rules = new Map(doc.groups.flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));

  it("is the README's copy, character for character", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const copy = /```yaml\n(# Prometheus alert rules for multus-token-rotator[\s\S]*?)```\n/.exec(readme)?.[1];
    assert.equal(copy, ALERT_RULES);
  });
  it('is a list of named groups of rules', () => {
    assert.ok(Array.isArray(doc.groups));
    assert.deepEqual(
      doc.groups.map((g) => g.name),
      ['multus-token-rotator', 'multus-token-rotator-kube-state-metrics'],
    );
    assert.deepEqual(
      [...rules.keys()],
      ['MultusTokenExpiringSoon', 'MultusTokenInvalidOrExpired', 'MultusTokenRotationCannotKeepUp',
        'MultusTokenNodeRepairFailing', 'MultusTokenRotatorNotRunning', 'MultusTokenRotatorFailing',
        'MultusTokenRotatorJobFailed'],
    );
    for (const r of rules.values()) {
      assert.ok(typeof r.expr === 'string' && r.expr.length > 0, r.alert);
      assert.match(r.labels.severity ?? '', /^(warning|critical)$/, r.alert);
      assert.ok(typeof r.annotations.summary === 'string', r.alert);
    }
  });
  it('has the thresholds asked for', () => {
    assert.match(rules.get('MultusTokenNodeRepairFailing')?.expr ?? '',
      /^max by \(node\) \(multus_token_rotator_node_failed_runs\) >= 3$/);
    assert.match(rules.get('MultusTokenExpiringSoon')?.expr ?? '',
      /earliest_token_expiry_timestamp_seconds\) - time\(\) < 12 \* 3600$/);
    const invalid = rules.get('MultusTokenInvalidOrExpired');
    assert.match(invalid?.expr ?? '', /multus_token_rotator_nodes\{class=~"invalid\|expired"\}\) > 0$/);
    assert.equal(invalid?.for, '2h');
    assert.match(rules.get('MultusTokenRotatorNotRunning')?.expr ?? '',
      /^time\(\) - max\(multus_token_rotator_last_run_timestamp_seconds\) > 3 \* 3600$/);
    assert.match(rules.get('MultusTokenRotatorFailing')?.expr ?? '', /!= 0 and .*!= 3$/);
    assert.equal(
      rules.get('MultusTokenRotatorJobFailed')?.expr,
      'kube_job_status_failed{namespace="multus-token-rotator",job_name=~"multus-token-rotator-.*"} > 0',
    );
  });
  it('only uses metrics that renderMetrics writes', () => {
    const written = new Set(
      renderMetrics({ findings, run, execution,
        pacing: { capacityPerRun: 10, limitedBy: '--max-nodes', intervalMs: 3_600_000, nodeTimeMs: 300_000, tokens: 1,
          dueThisRun: 1, pulledForward: 0, shortfall: 0 }, failedRuns: new Map([['node-a', 3]]) })
        .split('\n')
        .flatMap((l) => /^# TYPE (\S+)/.exec(l)?.slice(1) ?? []),
    );
    const used = new Set([...rules.values()].flatMap((r) => r.expr.match(/multus_token_rotator_[a-z_]+/g) ?? []));
    assert.ok(used.size >= 4);
    for (const name of used) {
      assert.ok(written.has(name), name);
    }
  });
});

describe('repair metrics', () => {
  it('broken nodes found, repaired, failed; time to the last fresh token; stuck pods; failure streaks by node', () => {
    const text = renderMetrics({ findings: [], run: makeRun(),
      repair: { brokenFound: 6, repaired: 5, failed: 1, lastFreshTokenMs: 42_000, stuckPods: 4, stuckStarted: 3,
        stuckNotStarted: [{ pod: 'ns/p', node: 'n1', reason: 'not started' }] }, failedRuns: new Map([['n1', 2]]) });
    for (const line of ['multus_token_rotator_broken_nodes{state="found"} 6',
      'multus_token_rotator_broken_nodes{state="repaired"} 5', 'multus_token_rotator_broken_nodes{state="failed"} 1',
      'multus_token_rotator_repair_last_fresh_token_seconds 42', 'multus_token_rotator_stuck_pods{state="started"} 3',
      'multus_token_rotator_stuck_pods{state="not-started"} 1', 'multus_token_rotator_node_failed_runs{node="n1"} 2']) {
      assert.ok(text.split('\n').includes(line), line);
    }
  });
});
