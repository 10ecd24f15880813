// Parse a duration such as "90s", "15m", "24h", "7d", "1h30m" or "500ms" into milliseconds.
// Zero ("0s") is a valid duration; callers that need a positive one check for it.

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string; fix: string };

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
      const message =
        unit === undefined
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
