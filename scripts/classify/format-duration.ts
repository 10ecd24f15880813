// Durations for people: "364d 23h", "5h 12m", "3m 20s", "45s", "500ms".

const UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

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
  const first = UNITS.findIndex(([, size]) => abs >= size);
  const parts: string[] = [];
  let rest = abs;
  for (const [name, size] of UNITS.slice(first, first + 2)) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) {
      parts.push(`${count}${name}`);
    }
  }
  return sign + parts.join(' ');
}
