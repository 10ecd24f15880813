// The node table a run prints first: one row per Multus pod, worst first (by class, then soonest expiry), with its
// expiry, time left (as judged, classify/classify-node.ts) and fingerprint, never more of the token. Pure: colour is
// a function passed in.
import type { NodeFinding, TokenClass } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';
import { type Cell, type Colorize, formatTime, type Style, table } from './text-table.ts';

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

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function renderFindings(input: readonly NodeFinding[], color: Colorize): string[] {
  const findings = [...input].sort(
    (a, b) =>
      RANK[a.class] - RANK[b.class] ||
      (a.expiresAt ?? Number.NEGATIVE_INFINITY) - (b.expiresAt ?? Number.NEGATIVE_INFINITY) ||
      cmp(a.node, b.node),
  );
  if (findings.length === 0) {
    return ['No Multus pods found.'];
  }
  const rows = findings.map((f): Cell[] => {
    const cls: Cell = { text: f.class };
    const style = CLASS_STYLE[f.class];
    if (style !== undefined) {
      cls.style = style;
    }
    return [
      { text: f.node },
      cls,
      { text: formatTime(f.expiresAt) },
      { text: f.timeLeftMs === undefined ? '-' : formatDuration(f.timeLeftMs) },
      { text: f.fingerprint ?? '-' },
      { text: f.reason },
    ];
  });
  return table(['NODE', 'CLASS', 'EXPIRES', 'LEFT', 'TOKEN', 'REASON'], rows, color);
}
