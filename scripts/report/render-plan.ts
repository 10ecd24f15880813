// What a person reads after the scan: the node table (render-findings.ts), then the plan: its steps with the pods each
// restarts, what was deferred or skipped and why, the advisories, and how to act on it. Pure: colour is an optional
// function passed in. Tables: text-table.ts; `-o json|yaml`: structured-output.ts.
import type { NodeFinding, PodVerdict, RestartPlan, RunMode } from '../model.ts';
import { renderFindings } from './render-findings.ts';
import { type Cell, type Colorize, formatTime, plain, type Style, table } from './text-table.ts';

export interface RenderPlanInput {
  findings: readonly NodeFinding[];
  plan: RestartPlan;
  mode: RunMode;
  /** Wraps text in a style; the default leaves it plain. Applied after padding, so escapes do not break columns. */
  color?: Colorize;
}

const ACTION_STYLE: Readonly<Record<PodVerdict['action'], Style>> = {
  restart: 'green',
  skip: 'dim',
  refused: 'yellow',
  manual: 'yellow',
  blocked: 'red',
};

function withOverride(reason: string, override: string | undefined): string {
  return override === undefined ? reason : `${reason} (override: ${override})`;
}

export function renderPlanTable(input: RenderPlanInput): string {
  const { plan, mode } = input;
  const color = input.color ?? plain;
  const out: string[] = [];

  out.push(...renderFindings(input.findings, color));

  out.push('');
  const needing = plan.steps.length + plan.deferred.length;
  out.push(color('bold', 'Plan'));
  if (plan.steps.length === 0) {
    out.push(needing === 0 ? '  Nothing needs rotation.' : '  No node can be acted on in this run.');
  }
  plan.steps.forEach((step, i) => {
    const exp = step.expiresAt === undefined ? '' : `, expires ${formatTime(step.expiresAt)}`;
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

function executing(plan: RestartPlan): string {
  const repair = plan.steps.filter((s) => s.repair).length;
  if (repair === 0) return `Executing ${plan.steps.length} step(s), one node at a time.`;
  const rest = plan.steps.length - repair;
  return `Executing ${plan.steps.length} step(s): ${repair} broken node(s) repaired in parallel waves` +
    (rest === 0 ? '.' : `, then ${rest} one node at a time.`);
}
