// The one place where progress events become text: a line for a person on a terminal, or one JSON object per
// line in a pod (for log collectors).
import type { RunEvent } from './events.ts';
import { formatInstant } from '../shared/time-format.ts';
import { formatSeconds } from '../shared/durations.ts';

export type LogFormat = 'text' | 'json';

const LEVEL: Partial<Record<RunEvent['type'], 'warn' | 'error'>> = {
  'node-unreadable': 'warn',
  'exec-fallback': 'warn',
  warning: 'warn',
  'summary-failed': 'error',
  'lease-held': 'warn',
  'execution-stopped': 'warn',
};

export function formatEvent(e: RunEvent, format: LogFormat, now: number): string {
  if (format === 'json') {
    return JSON.stringify({ time: formatInstant(now),
      level: e.type === 'guard-rails' && !e.ok ? 'error' : LEVEL[e.type] ?? 'info', event: e.type, ...withoutType(e) });
  }
  return text(e);
}

function withoutType(e: RunEvent): Record<string, unknown> {
  const { type: _type, ...rest } = e;
  return rest;
}

function text(e: RunEvent): string {
  switch (e.type) {
    case 'run-started':
      return `multus-token-rotator: ${e.mode} run, ${e.via === 'local' ? 'local' : 'in-cluster'} (${e.identity})`;
    case 'multus-pods-found':
      return `found ${e.count} Multus pod(s) in ${e.namespace} matching ${e.selector}`;
    case 'node-read':
      return `${e.node}: read kubeconfig via ${e.via} in ${e.ms} ms`;
    case 'nodes-reused': {
      const why = Object.entries(e.reasons).map(([r, n]) => `${n} ${r}`).join(', ');
      return `read ${e.read} node(s)' kubeconfig${why === '' ? '' : ` (${why})`}; ${e.reused} judged from their ` +
        'last read (nothing they depend on changed)';
    }
    case 'node-unreadable':
      return `warning: ${e.node}: ${e.reason}`;
    case 'exec-fallback':
      return `${e.node}: exec failed (${e.reason}); trying a read-only reader pod`;
    case 'node-classified':
      return `${e.node}: ${e.class}: ${e.reason}`;
    case 'workloads-listed':
      return `listed ${e.pods} workload pod(s) on ${e.nodes} node(s) and ${e.pdbs} PodDisruptionBudget(s)`;
    case 'plan-built':
      return `plan: ${e.steps} node(s) to act on, ${e.deferred} deferred, ${e.skipped} need nothing`;
    case 'summary-written':
      return `summary written to ConfigMap ${e.namespace}/${e.name}`;
    case 'summary-failed':
      return `error: could not write the summary ConfigMap ${e.namespace}/${e.name}: ${e.reason}`;
    case 'lease-acquired':
      return `lease ${e.namespace}/${e.name} acquired as ${e.holder}`;
    case 'lease-held':
      return `another run holds lease ${e.namespace}/${e.name}: ${e.heldBy}${
        e.since ? ` since ${e.since}` : ''
      }; nothing was changed`;
    case 'lease-released':
      return `lease ${e.namespace}/${e.name} released`;
    case 'node-started':
      return `[${e.index}/${e.of}] ${e.node}: starting`;
    case 'repair-finished':
      return `repair: ${e.message}`;
    case 'wave-started':
      return `repair wave ${e.wave}/${e.of}: restarting Multus on ${e.nodes} broken node(s) at once`;
    case 'wave-finished':
      return `repair wave ${e.wave}: ${e.nodes - e.failed} of ${e.nodes} node(s) fresh, ${e.failed} failed, ` +
        `in ${formatSeconds(e.ms, 1)}`;
    case 'multus-restarted':
      return `${e.node}: Multus pod ${e.oldPod} → ${e.newPod}, Ready after ${e.readyMs} ms`;
    case 'token-fresh':
      return `${e.node}: fresh token ${e.fingerprint} in the node's file after ${e.tokenMs} ms`;
    case 'pod-evicted':
      return `${e.node}: evicted ${e.namespace}/${e.name}${e.attempts > 1 ? ` (after ${e.attempts} attempts)` : ''}`;
    case 'pod-done':
      return `  ${e.namespace}/${e.name}: ${e.outcome}: ${e.reason}`;
    case 'node-finished':
      return `${e.node}: ${e.outcome} in ${formatSeconds(e.ms, 1)}${e.reason ? `: ${e.reason}` : ''}`;
    case 'execution-stopped':
      return `stopping: ${e.reason}`;
    case 'guard-rails':
      return e.ok ? `guard rails in force: ${e.reason}` : `setup error: ${e.reason}`;
    case 'metrics-pushed':
      return `metrics pushed to ${e.url}`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'run-finished':
      return `done in ${formatSeconds(e.ms, 1)}: ${e.outcome} (exit ${e.exitCode})`;
  }
}
