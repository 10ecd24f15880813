// Durations, both ways: parsed from what a person writes ("90s", "15m", "24h", "7d", "1h30m", "500ms"; zero is valid,
// callers that need a positive one check for it) and written for a person ("364d 23h", "5h 12m", "3m 20s", "500ms"),
// or as plain seconds where a log line or a reason counts them ("12 s", "12.3 s"). Instants: time-format.ts.

type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string; fix: string };

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Units from largest to smallest; a duration must list its parts in this order, each at most once. */
const UNIT_ORDER = ['d', 'h', 'm', 's', 'ms'];

const PART = /(\d+)(ms|s|m|h|d)/y;

const FIX = 'write a positive whole number followed by a unit (ms, s, m, h, d), e.g. "90s", "15m", "1h30m" or "7d"';

export function parseDuration(text: string): ParseResult<number> {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { ok: false, message: 'the duration is empty', fix: FIX };
  }
  if (trimmed.startsWith('-')) {
    return { ok: false, message: `the duration "${text}" is negative`, fix: FIX };
  }
  if (/^\d+$/.test(trimmed)) {
    return { ok: false, message: `the duration "${text}" has no unit`, fix: `${FIX}; for example "${trimmed}s"` };
  }
  let total = 0;
  let lastUnitIndex = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (match === null) {
      const rest = trimmed.slice(at);
      const unit = /^\d+([a-zA-Zµ]+)/.exec(rest)?.[1];
      const message = unit === undefined
        ? `the duration "${text}" cannot be read at "${rest}"`
        : `the duration "${text}" uses the unknown unit "${unit}"`;
      return { ok: false, message, fix: FIX };
    }
    const [, digits = '', unit = ''] = match;
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex <= lastUnitIndex) {
      return {
        ok: false,
        message: `the duration "${text}" repeats a unit or lists units out of order at "${match[0]}"`,
        fix: `${FIX}; list units from largest to smallest, each once`,
      };
    }
    lastUnitIndex = unitIndex;
    total += Number(digits) * (UNIT_MS[unit] ?? 0);
  }
  if (!Number.isSafeInteger(total)) {
    return { ok: false, message: `the duration "${text}" is too large`, fix: FIX };
  }
  return { ok: true, value: total };
}

const FORMAT_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** Seconds for a log line or a reason, "12 s", or with `digits` decimals, "12.3 s": a step's or a wait's length. */
export function formatSeconds(ms: number, digits = 0): string {
  return `${digits === 0 ? String(Math.round(ms / 1000)) : (ms / 1000).toFixed(digits)} s`;
}

/**
 * The two largest units of a duration, rounded down: 31_535_999_000 → "364d 23h", 3_607_000 → "1h",
 * 200_000 → "3m 20s". Below a second: "500ms". Negative durations get a leading "-".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) {
    return ms > 0 ? 'forever' : '-forever';
  }
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1_000) {
    return `${sign}${Math.floor(abs)}ms`;
  }
  const first = FORMAT_UNITS.findIndex(([, size]) => abs >= size);
  const parts: string[] = [];
  let rest = abs;
  for (const [name, size] of FORMAT_UNITS.slice(first, first + 2)) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) {
      parts.push(`${count}${name}`);
    }
  }
  return sign + parts.join(' ');
}
