// The terminal's table: columns padded to the widest cell, colour applied after padding so escapes never shift a
// column, and the time format of a cell. Shared by the plan (render-plan.ts) and the execution (render-execution.ts).
// Pure: colour is a function passed in.
import { formatInstant } from '../shared/time-format.ts';

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'cyan';
export type Colorize = (style: Style, text: string) => string;

/** The default Colorize: plain text. */
export const plain: Colorize = (_style, text) => text;

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
