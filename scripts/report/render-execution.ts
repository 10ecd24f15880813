// What a person reads after an execute (or server dry) run: per node its outcome, how long Multus took to come back
// and to hold a fresh token (by fingerprint and expiry, never the token), per pod its outcome, attempts and waits;
// then why the run stopped early, if it did, and a closing line. Pure: colour is an optional function passed in.
import type { ExecutionReport, NodeExecution, NodeOutcome, PodExecution, PodOutcome, TokenRef } from '../model.ts';
import { formatDuration, formatSeconds } from '../shared/durations.ts';
import { formatTime, plain, table, type Cell, type Colorize, type Style } from './text-table.ts';

export interface RenderExecutionInput {
  execution: ExecutionReport;
  /** Wraps text in a style; the default leaves it plain. */
  color?: Colorize;
}

const NODE_STYLE: Readonly<Record<NodeOutcome, Style>> = {
  rotated: 'green',
  partial: 'yellow',
  failed: 'red',
  skipped: 'dim',
  'not-started': 'yellow',
  finished: 'green',
  'dry-run': 'cyan',
};

const POD_STYLE: Readonly<Record<PodOutcome, Style>> = {
  evicted: 'green',
  'already-gone': 'dim',
  blocked: 'red',
  failed: 'red',
  skipped: 'dim',
  'not-started': 'yellow',
  'dry-run': 'cyan',
};

/** Order of the counts in the closing line: what was done, then what was not. */
const NODE_ORDER: readonly NodeOutcome[] = ['rotated', 'finished', 'partial', 'failed', 'dry-run', 'skipped',
  'not-started'];
const POD_ORDER: readonly PodOutcome[] = ['evicted', 'already-gone', 'dry-run', 'blocked', 'failed', 'skipped',
  'not-started'];

/** "4200 ms", or "-" when unknown. */
function ms(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${Math.round(value)} ms`;
}

/** "aaaaaaaaaaaa (expires 2025-06-01 00:00:00Z)", or "-" when unknown. */
function token(t: TokenRef | undefined): string {
  if (t === undefined || (t.fingerprint === undefined && t.expiresAt === undefined)) {
    return '-';
  }
  const exp = t.expiresAt === undefined ? 'no expiry' : `expires ${formatTime(t.expiresAt)}`;
  return `${t.fingerprint ?? 'unknown token'} (${exp})`;
}

function counts<T extends string>(items: ReadonlyArray<{ outcome: T }>, order: readonly T[]): string {
  const n = new Map<T, number>();
  for (const item of items) {
    n.set(item.outcome, (n.get(item.outcome) ?? 0) + 1);
  }
  return order
    .filter((o) => (n.get(o) ?? 0) > 0)
    .map((o) => `${n.get(o) ?? 0} ${o}`)
    .join(', ');
}

function podRow(p: PodExecution): Cell[] {
  return [
    { text: p.outcome, style: POD_STYLE[p.outcome] },
    { text: `${p.namespace}/${p.name}` },
    { text: p.attempts === undefined ? '-' : String(p.attempts) },
    { text: ms(p.evictMs) },
    { text: ms(p.goneMs) },
    { text: ms(p.replacementReadyMs) },
    { text: p.replacement?.name ?? '-' },
    { text: p.reason },
  ];
}

function nodeLines(n: NodeExecution, i: number, color: Colorize): string[] {
  const out = [`  ${i + 1}. ${color('bold', n.node)}  ${color(NODE_STYLE[n.outcome], n.outcome)}: ${n.reason}`];
  const m = n.multus;
  if (m !== undefined) {
    const waits = [
      ...(m.readyMs === undefined ? [] : [`Ready in ${ms(m.readyMs)}`]),
      ...(m.tokenMs === undefined ? [] : [`token read in ${ms(m.tokenMs)}`]),
    ];
    out.push(`     Multus ${m.oldPod} → ${m.newPod ?? 'no new pod'}${waits.length > 0 ? `: ${waits.join(', ')}` : ''}`);
  }
  if (n.tokenBefore !== undefined || n.tokenAfter !== undefined) {
    out.push(`     Token ${token(n.tokenBefore)} → ${token(n.tokenAfter)}`);
  }
  const stuck = n.stuckPods ?? [];
  if (stuck.length > 0) {
    const started = stuck.filter((p) => p.outcome === 'started');
    const slowest = Math.max(0, ...started.map((p) => p.startedMs ?? 0));
    const others = stuck.filter((p) => p.outcome !== 'started').map((p) => `${p.namespace}/${p.name} (${p.reason})`);
    out.push(`     ${started.length} of ${stuck.length} stuck pod(s) started by themselves` +
      `${started.length > 0 ? `, the slowest ${formatSeconds(slowest, 1)} after the fresh token` : ''}` +
      `${others.length > 0 ? `; not started: ${others.join(', ')}` : ''}`);
  }
  if (n.pods.length > 0) {
    out.push(
      ...table(['OUTCOME', 'POD', 'ATTEMPTS', 'EVICT', 'GONE', 'READY', 'REPLACEMENT', 'REASON'], n.pods.map(podRow),
        color, '     '),
    );
  }
  return out;
}

function closing(e: ExecutionReport): string {
  if (e.lease !== undefined && !e.lease.acquired) {
    return 'Nothing was done: another run holds the lease.';
  }
  if (e.nodes.length === 0) {
    return 'Nothing was executed.';
  }
  const took = formatDuration(Math.max(0, e.finishedAt - e.startedAt));
  const what = e.mode === 'server-dry-run' ? 'Server dry run finished, nothing was changed' : 'Finished';
  const pods = e.nodes.flatMap((n) => n.pods);
  const podPart = pods.length === 0 ? '' : `; pods: ${counts(pods, POD_ORDER)}`;
  return `${what} in ${took}: ${counts(e.nodes, NODE_ORDER)} of ${e.nodes.length} node(s)${podPart}.`;
}

export function renderExecutionTable(input: RenderExecutionInput): string {
  const { execution: e } = input;
  const color = input.color ?? plain;
  const out: string[] = [color('bold', 'Execution')];

  const lease = e.lease;
  if (lease !== undefined) {
    const name = `${lease.namespace}/${lease.name}`;
    if (lease.acquired) {
      out.push(`  Lease ${name} held by ${lease.holder}.`);
    } else {
      const since = lease.heldSince === undefined ? '' : ` since ${lease.heldSince}`;
      out.push(
        color('yellow',
          `  Lease ${name} is held by ${
            lease.heldBy ?? 'another run'
          }${since}; this run (${lease.holder}) did nothing.`),
      );
    }
  }
  if (e.nodes.length === 0) {
    out.push('  No node was acted on.');
  }
  e.nodes.forEach((n, i) => out.push(...nodeLines(n, i, color)));

  if (e.stoppedBecause !== undefined) {
    out.push('', color('yellow', `Stopped early: ${e.stoppedBecause}`));
  }
  out.push('', closing(e));
  return out.join('\n') + '\n';
}
