// The one way an instant becomes text. Every stage keeps time as milliseconds since the epoch (model.ts Millis); how
// much of an instant a reader needs differs, so the styles are named here instead of being cut out of toISOString()
// at each call site:
//   'full'     2025-01-31T12:00:00.000Z  what is stored or parsed back (summary YAML, left work, JSON logs, the Lease)
//   'seconds'  2025-01-31T12:00:00Z      a token's expiry in a reason (JWT times are whole seconds)
//   'minutes'  2025-01-31T12:00Z         an earlier run or a pacing deadline named in a plan's reason
//   'table'    2025-01-31 12:00:00Z      a cell of a terminal table
// Durations are written by formatDuration (./durations.ts).
import type { Millis } from '../model.ts';

export type InstantStyle = 'full' | 'seconds' | 'minutes' | 'table';

export function formatInstant(ms: Millis, style: InstantStyle = 'full'): string {
  const full = new Date(ms).toISOString();
  switch (style) {
    case 'full':
      return full;
    case 'seconds':
      return full.replace(/\.000Z$/, 'Z');
    case 'minutes':
      return full.replace(/:\d\d\.\d{3}Z$/, 'Z');
    case 'table':
      return full.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  }
}
