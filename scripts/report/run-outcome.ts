// The run's outcome in one line, for the summary's `outcome` key and the last progress event. Pure.
import type { ExecutionReport, NodeFinding, RestartPlan } from '../model.ts';
import { EXIT } from './exit-codes.ts';
import { leftThisRun } from './left-work.ts';

export function outcomeOf(findings: NodeFinding[], plan: RestartPlan, exitCode: number,
  execution: ExecutionReport | undefined, leaseHeld: boolean): string {
  if (leaseHeld) return 'another run holds the lease; nothing was changed';
  if (exitCode === EXIT.INTERRUPTED) {
    return `interrupted${execution?.stoppedBecause ? `: ${execution.stoppedBecause}` : ''}`;
  }
  const parts: string[] = [];
  if (execution) {
    const count = (o: string) => execution.nodes.filter((n) => n.outcome === o).length;
    for (const o of ['rotated', 'finished', 'partial', 'failed', 'dry-run', 'skipped', 'not-started']) {
      if (count(o) > 0) parts.push(`${count(o)} node(s) ${o}`);
    }
    if (execution.stoppedBecause) parts.push(`stopped: ${execution.stoppedBecause}`);
    const left = execution.mode === 'execute' ? leftThisRun(plan, execution) : 0;
    if (left > 0) parts.push(`${left} dependent pod(s) left for the next run`);
  } else if (plan.steps.length > 0) {
    parts.push(`${plan.steps.length} node(s) need rotation`);
  }
  if (plan.deferred.length > 0) parts.push(`${plan.deferred.length} deferred`);
  const unreadable = findings.filter((f) => f.class === 'unreadable').length;
  if (unreadable > 0) parts.push(`${unreadable} unreadable`);
  if (parts.length > 0) return parts.join(', ');
  if (exitCode === EXIT.OK) return findings.length === 0 ? 'no Multus nodes found' : 'all tokens healthy';
  return 'attention needed';
}
