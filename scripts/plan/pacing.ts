// Pacing from the deadline. Extended Multus tokens all expire about a year after the DaemonSet's last rollout, so a
// whole fleet enters the --expiring-within window within the same hours; at --max-nodes per run that is too late for
// any fleet larger than (runs inside the window) × (nodes per run). The plan knows every node's expiry: this module
// works out how many nodes THIS run must act on so that, with later runs (every --schedule-interval, each acting on at
// most `capacityPerRun` nodes), every token is rotated before it enters the --expiring-within window — and whether the
// tokens can be rotated before they really expire at all. Pure: `now` is data.
//
// Model: run r starts at now + r·interval (r = 0 is this run) and, inside the maintenance window (if any), acts on up
// to C = min(--max-nodes, ⌊--deadline / --node-time⌋) nodes, one after the other. A node whose token expires at `exp`
// must be acted on by the last run that still finishes before `exp − margin`. Earliest deadline first: this run takes
// the fewest nodes for which every later run stays within C — the lazy schedule, which starts pacing exactly as early
// as fleet size and throughput require (`beginsAt`). A token that expires before the next run is always in this run.
import type { MaintenanceWindowConfig } from '../config/config.ts';
import { windowContains } from '../shared/time-window.ts';
import type { Millis, NodeFinding, PacingReport, TokenClass } from '../model.ts';
import { formatInstant } from '../shared/time-format.ts';

export interface PacingOptions {
  /** Time between scheduled runs (the CronJob's schedule): --schedule-interval. */
  intervalMs: number;
  /** Time to rotate one node (Multus restart and every dependent): --node-time, or measured (report/run-memory.ts). */
  nodeTimeMs: number;
  /** Where nodeTimeMs comes from, for the plan. */
  nodeTimeFrom?: string;
  /** How long one run may go on starting nodes: --deadline. */
  runDeadlineMs: number;
  /** --max-nodes. */
  maxNodes: number;
  /** Aim to rotate every token at least this long before it expires (--expiring-within): the slack for failed runs. */
  marginMs: number;
  /** Runs outside the window act on nothing. */
  window?: MaintenanceWindowConfig;
}

const DUE_NOW: ReadonlySet<TokenClass> = new Set<TokenClass>(['invalid', 'expired']);
const PACED: ReadonlySet<TokenClass> = new Set<TokenClass>(['invalid', 'expired', 'expiring', 'healthy']);
/** Runs looked at, at most: ten years of hourly runs. */
const MAX_RUNS = 24 * 366 * 10;

/** The node's deadline (epoch ms) for pacing, or undefined when it has none (legacy, self-refreshing, unreadable). */
export function deadlineOf(f: NodeFinding, now: Millis): Millis | undefined {
  if (DUE_NOW.has(f.class)) return now;
  if (!PACED.has(f.class) || f.expiresAt === undefined) return undefined;
  return f.expiresAt;
}

export function capacityPerRun(o: PacingOptions): { capacity: number; limitedBy: PacingReport['limitedBy'] } {
  const byTime = Math.max(1, Math.floor(o.runDeadlineMs / Math.max(1, o.nodeTimeMs)));
  return byTime < o.maxNodes ? { capacity: byTime, limitedBy: '--deadline / --node-time' }
    : { capacity: Math.max(1, o.maxNodes), limitedBy: '--max-nodes' };
}

/**
 * The pacing of the fleet in `findings` at `now`. `dueThisRun` counts nodes of every paced class (invalid, expired,
 * expiring and healthy): the planner fills it with the urgent ones first, then the healthy ones that expire first.
 */
export function pace(findings: readonly NodeFinding[], now: Millis, o: PacingOptions): PacingReport {
  const { capacity: C, limitedBy } = capacityPerRun(o);
  const span = Math.min(o.runDeadlineMs, C * o.nodeTimeMs); // one run, start to last node done
  // A run that acts for longer than the schedule's interval makes the CronJob (concurrencyPolicy: Forbid) skip the
  // starts in between: runs that act come every whole number of intervals that covers the span (every 5 min, a run
  // of 50 min is followed by the next 50 min after it started).
  const every = Math.max(60_000, o.intervalMs);
  const I = every * Math.max(1, Math.ceil(span / every));
  const deadlines: Millis[] = [];
  for (const f of findings) {
    const d = deadlineOf(f, now);
    if (d !== undefined) deadlines.push(d);
  }
  deadlines.sort((a, b) => a - b);
  const base: PacingReport = { capacityPerRun: C, limitedBy, intervalMs: I, nodeTimeMs: o.nodeTimeMs,
    ...(o.nodeTimeFrom === undefined ? {} : { nodeTimeFrom: o.nodeTimeFrom }), tokens: deadlines.length, dueThisRun: 0,
    shortfall: 0 };
  if (deadlines.length === 0) return base;
  const lastExpiry = deadlines[deadlines.length - 1] as number;

  // The last run that still finishes before `d`: run r ends at now + r·I + span. Negative: already too late.
  const lastRun = (d: Millis): number => Math.floor((d - now - span) / I);
  const capAt = (r: number): number => (o.window === undefined || windowContains(o.window, now + r * I) ? C : 0);

  // Runs to look at: until the last deadline, at most MAX_RUNS (beyond, a token ten years out needs no pacing).
  const horizon = Math.min(MAX_RUNS, Math.max(0, lastRun(lastExpiry)));
  const soft = deadlines.map((d) => Math.max(0, Math.min(horizon, lastRun(d - o.marginMs))));
  const hard = deadlines.map((d) => Math.min(horizon, lastRun(d)));

  // Lazy schedule (soft deadlines): this run takes max over r of (due by run r) − (what runs 1..r can do).
  // Hard check: (due by run r) ≤ (what runs 0..r can do), else tokens expire first.
  let due = 0;
  let shortfall = 0;
  let firstMissAt: Millis | undefined;
  let needed = 0;
  let iSoft = 0;
  let iHard = 0;
  let later = 0; // capacity of runs 1..r
  let runsInWindow = 0; // runs 0..r inside the window
  const c0 = capAt(0);
  for (let r = 0; r <= horizon; r++) {
    const cr = r === 0 ? c0 : capAt(r);
    if (r > 0) later += cr;
    if (cr > 0) runsInWindow += 1;
    while (iSoft < soft.length && (soft[iSoft] as number) <= r) iSoft++;
    while (iHard < hard.length && (hard[iHard] as number) <= r) iHard++;
    due = Math.max(due, iSoft - later);
    const fit = c0 + later;
    if (iHard > fit) {
      if (iHard - fit > shortfall) shortfall = iHard - fit;
      firstMissAt ??= deadlines[fit];
    }
    if (iHard > 0) {
      needed = Math.max(needed, runsInWindow === 0 ? Number.POSITIVE_INFINITY : Math.ceil(iHard / runsInWindow));
    }
    // Once every token is due, or later runs alone could take the whole fleet, no later run changes the answer.
    if ((iSoft === soft.length && iHard === hard.length) || later >= deadlines.length) break;
  }
  // A token that expires before the next run is always in this run (even beyond the cap: the planner defers it loudly).
  const beforeNext = deadlines.filter((d) => d < now + I).length;
  due = Math.max(due, beforeNext);

  // The derived horizon: the latest start from which runs of C nodes, every interval, meet every soft deadline.
  let beginsAt = Number.POSITIVE_INFINITY;
  for (let j = 0; j < deadlines.length; j++) {
    beginsAt = Math.min(beginsAt, (deadlines[j] as number) - o.marginMs - span - Math.floor(j / C) * I);
  }

  const report: PacingReport = { ...base, dueThisRun: due, beginsAt, lastExpiry, shortfall };
  if (Number.isFinite(needed) && needed > C) report.neededPerRun = needed;
  if (shortfall > 0) {
    report.firstMissAt = firstMissAt;
    const fix = limitedBy === '--max-nodes'
      ? `raise --max-nodes to at least ${Number.isFinite(needed) ? needed : '(more runs inside the window)'}`
      : `raise --deadline or lower --node-time so that a run does at least ${
        Number.isFinite(needed) ? needed : 'more'
      } nodes`;
    report.warning =
      `deadline cannot be met: ${deadlines.length} Multus token(s) must be rotated, the last expiring at ` +
      `${formatInstant(lastExpiry, 'minutes')}, but at ${C} node(s) per run (${limitedBy}) every ${
        Math.round(I / 60_000)
      } min` +
      `${
        o.window ? ` inside the window ${o.window.text}` : ''
      }, ${shortfall} token(s) will expire (or stay invalid) before ` +
      `a run reaches them, the first at ${
        formatInstant(firstMissAt ?? lastExpiry, 'minutes')
      }; ${fix}, or run more often (--schedule-interval ` +
      'and the CronJob schedule)';
  }
  return report;
}
