// What a person reads: the node table and the plan as text for a terminal, and the same result as JSON or YAML
// (`-o json|yaml`) with a stable key order. Pure: colour is an optional function passed in.
import { stringify } from 'yaml';
import type { NodeFinding, PodVerdict, RestartPlan, RunMode, TokenClass } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';
import { formatInstant } from '../shared/time-format.ts';

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'cyan';
export type Colorize = (style: Style, text: string) => string;

export interface RenderPlanInput {
  findings: readonly NodeFinding[];
  plan: RestartPlan;
  now: number;
  mode: RunMode;
  /** Wraps text in a style; the default leaves it plain. Applied after padding, so escapes do not break columns. */
  color?: Colorize;
}

const RANK: Readonly<Record<TokenClass, number>> = {
  invalid: 0,
  expired: 1,
  expiring: 2,
  unreadable: 3,
  legacy: 4,
  'self-refreshing': 5,
  'external-credentials': 5,
  healthy: 6,
};

const CLASS_STYLE: Readonly<Record<TokenClass, Style | undefined>> = {
  invalid: 'red',
  expired: 'red',
  expiring: 'yellow',
  unreadable: 'yellow',
  legacy: 'dim',
  'self-refreshing': 'dim',
  'external-credentials': 'dim',
  healthy: 'green',
};

const ACTION_STYLE: Readonly<Record<PodVerdict['action'], Style>> = {
  restart: 'green',
  skip: 'dim',
  refused: 'yellow',
  manual: 'yellow',
  blocked: 'red',
};

/** The default Colorize: plain text. */
export const plain: Colorize = (_style, text) => text;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "2025-01-31 12:00:00Z", or "-" when unknown. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) {
    return '-';
  }
  return formatInstant(ms, 'table');
}

/** One table cell; `style` is applied after padding. */
export interface Cell {
  text: string;
  style?: Style;
}

/** Rows under a bold header, columns padded to the widest cell (the last column is not padded), lines right-trimmed. */
export function table(header: readonly string[], rows: readonly Cell[][], color: Colorize, indent = ''): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.text.length ?? 0)));
  const line = (cells: readonly Cell[]): string =>
    (
      indent +
      cells
        .map((c, i) => {
          const padded = i === cells.length - 1 ? c.text : c.text.padEnd(widths[i] ?? 0);
          return c.style === undefined ? padded : color(c.style, padded);
        })
        .join('  ')
    ).trimEnd();
  return [line(header.map((h) => ({ text: h, style: 'bold' as const }))), ...rows.map(line)];
}

function withOverride(reason: string, override: string | undefined): string {
  return override === undefined ? reason : `${reason} (override: ${override})`;
}

export function renderPlanTable(input: RenderPlanInput): string {
  const { plan, now, mode } = input;
  const color = input.color ?? plain;
  const out: string[] = [];

  const findings = [...input.findings].sort(
    (a, b) =>
      RANK[a.class] - RANK[b.class] ||
      (a.exp ?? Number.NEGATIVE_INFINITY) - (b.exp ?? Number.NEGATIVE_INFINITY) ||
      cmp(a.node, b.node),
  );
  if (findings.length === 0) {
    out.push('No Multus pods found.');
  } else {
    const rows = findings.map((f): Cell[] => {
      const left = f.exp !== undefined ? f.exp * 1000 - now : f.timeLeftMs;
      const cls: Cell = { text: f.class };
      const style = CLASS_STYLE[f.class];
      if (style !== undefined) {
        cls.style = style;
      }
      return [
        { text: f.node },
        cls,
        { text: formatTime(f.exp === undefined ? undefined : f.exp * 1000) },
        { text: left === undefined ? '-' : formatDuration(left) },
        { text: f.fingerprint ?? '-' },
        { text: f.reason },
      ];
    });
    out.push(...table(['NODE', 'CLASS', 'EXPIRES', 'LEFT', 'TOKEN', 'REASON'], rows, color));
  }

  out.push('');
  const needing = plan.steps.length + plan.deferred.length;
  out.push(color('bold', 'Plan'));
  if (plan.steps.length === 0) {
    out.push(needing === 0 ? '  Nothing needs rotation.' : '  No node can be acted on in this run.');
  }
  plan.steps.forEach((step, i) => {
    const exp = step.exp === undefined ? '' : `, expires ${formatTime(step.exp * 1000)}`;
    const tag = step.repair ? 'repair, ' : step.finish ? 'finish, ' : '';
    out.push(`  ${i + 1}. ${color('bold', step.node)}  ${tag}${step.class}${exp}: ${step.reason}`);
    const rows: Cell[][] = [
      step.finish ? [
        { text: 'keep', style: 'dim' },
        { text: `${step.multusPod.namespace}/${step.multusPod.name}` },
        { text: "the Multus pod is not restarted: the node's token is healthy" },
      ] : [
        { text: 'restart', style: 'green' },
        { text: `${step.multusPod.namespace}/${step.multusPod.name}` },
        { text: 'the Multus pod, first; the pods below wait until its replacement is Ready' },
      ],
      ...step.pods.map((p): Cell[] => [
        { text: p.action, style: ACTION_STYLE[p.action] },
        { text: `${p.namespace}/${p.name}` },
        { text: withOverride(p.reason, p.override) },
      ]),
    ];
    out.push(...table(['ACTION', 'POD', 'REASON'], rows, color, '     '));
    if (step.nonDependentPods !== undefined && step.nonDependentPods > 0) {
      out.push(
        color('dim',
          `     ${step.nonDependentPods} other pod(s) on the node are not evicted under --dependents and are left alone`),
      );
    }
    const hurt = (step.outage ?? []).filter((v) => v.effect === 'stuck');
    const untouched = (step.outage ?? []).filter((v) => v.effect === 'untouched');
    if (hurt.length > 0) {
      out.push(`     hurt by the outage: ${hurt.length} pod(s) stuck in ContainerCreating ` +
        `(${hurt.slice(0, 5).map((v) => `${v.namespace}/${v.name}`).join(', ')}${hurt.length > 5 ? ', …' : ''}): ` +
        'they start by themselves once the token is fresh');
    }
    if (untouched.length > 0) {
      out.push(color('dim', `     not touched: ${untouched.length} Running pod(s): ${untouched[0]?.reason ?? ''}`));
    }
  });

  if (plan.deferred.length > 0) {
    out.push('', color('bold', 'Deferred'));
    const rows = plan.deferred.map((
      d,
    ): Cell[] => [{ text: d.node }, { text: d.class }, { text: withOverride(d.reason, d.override) }]);
    out.push(...table(['NODE', 'CLASS', 'REASON'], rows, color, '  '));
  }

  const healthy = plan.skipped.filter((d) => d.class === 'healthy');
  const otherSkipped = plan.skipped.filter((d) => d.class !== 'healthy');
  if (plan.skipped.length > 0) {
    out.push('', color('bold', 'Skipped'));
    if (otherSkipped.length > 0) {
      const rows = otherSkipped.map((
        d,
      ): Cell[] => [{ text: d.node }, { text: d.class }, { text: withOverride(d.reason, d.override) }]);
      out.push(...table(['NODE', 'CLASS', 'REASON'], rows, color, '  '));
    }
    if (healthy.length > 0) {
      out.push(`  ${healthy.length} healthy node(s) need nothing (see the table above)`);
    }
  }

  if (plan.advisories.length > 0) {
    out.push('', color('bold', 'Advisories'), ...plan.advisories.map((a) => `  - ${a}`));
  }

  out.push('');
  if (mode === 'execute') {
    out.push(
      plan.steps.length === 0 ? 'Nothing to execute.' : executing(plan),
    );
  } else {
    const what = mode === 'server-dry-run'
      ? 'Server dry run: evictions are checked by the API server (dryRun=All); nothing is changed.'
      : 'Dry run: nothing was changed.';
    out.push(plan.steps.length === 0 ? what : `${what} To act on this plan, run again with --execute.`);
  }
  return out.join('\n') + '\n';
}

/** A copy with object keys sorted at every level, so that output does not depend on construction order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) {
        out[key] = sortKeys(v);
      }
    }
    return out;
  }
  return value;
}

/** `-o json`: indented, keys sorted, newline-terminated. */
export function renderJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

/** `-o yaml`: keys sorted, no line folding. */
export function renderYaml(value: unknown): string {
  return stringify(sortKeys(value), { lineWidth: 0 });
}

function executing(plan: RestartPlan): string {
  const repair = plan.steps.filter((s) => s.repair).length;
  if (repair === 0) return `Executing ${plan.steps.length} step(s), one node at a time.`;
  const rest = plan.steps.length - repair;
  return `Executing ${plan.steps.length} step(s): ${repair} broken node(s) repaired in parallel waves` +
    (rest === 0 ? '.' : `, then ${rest} one node at a time.`);
}
