// From the text of one flag or MTR_* variable to a typed value, or a problem with its fix. One coercer per kind of
// value; the flag table (flag-table.ts) picks one per flag. Messages name where the text came from (`source`).
import { parseDuration } from '../shared/durations.ts';
import { isDnsLabel, isDnsSubdomain } from './dns-names.ts';

/** The text of a setting and where it came from: '--max-nodes' or 'MTR_MAX_NODES'. */
export interface RawValue {
  source: string;
  text: string;
}

type Coerced<T> = { ok: true; value: T } | { ok: false; message: string; fix: string };

/** Turns a given text into a value; `fallback` is the value used when the setting is left out (for messages). */
export type Coercer<T> = (raw: RawValue, fallback: T | undefined) => Coerced<T>;

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1000,
  M: 1000 ** 2,
  G: 1000 ** 3,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

const ok = <T>(value: T): Coerced<T> => ({ ok: true, value });
const no = <T>(message: string, fix: string): Coerced<T> => ({ ok: false, message, fix });

/** A check returns why the text is wrong (completing "--flag …"), or undefined when it is fine. */
export type Check = (text: string) => string | undefined;

export const dnsLabel: Check = (text) =>
  isDnsLabel(text)
    ? undefined
    : `must be a DNS-1123 label (at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit) but is "${text}"`;

export const dnsSubdomain: Check = (text) =>
  isDnsSubdomain(text)
    ? undefined
    : `must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, "-" and ".") but is "${text}"`;

export const LABEL_FIX = 'use lower-case letters, digits and "-", e.g. kube-system';
export const SUBDOMAIN_FIX = 'use lower-case letters, digits, "-" and ".", e.g. multus-token-rotator-summary';

export const bool: Coercer<boolean> = (r) => {
  const word = r.text.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return ok(true);
  if (FALSE_WORDS.includes(word)) return ok(false);
  return no(`${r.source} must be true or false but is "${r.text}"`, 'use true, false, 1, 0, yes or no');
};

/** Trimmed, non-empty text that passes `check`; `leftOut` says what is used without it, when no default does. */
export function text(check?: Check, fix?: string, leftOut?: string): Coercer<string> {
  return (r, fallback) => {
    const value = r.text.trim();
    if (value === '') {
      const use = fallback !== undefined && fallback !== '' ? ` to use the default "${fallback}"`
        : leftOut ? ` to use ${leftOut}` : '';
      return no(`${r.source} is empty`, `give a value or leave ${r.source} out${use}`);
    }
    const why = check?.(value);
    return why === undefined ? ok(value) : no(`${r.source} ${why}`, fix ?? 'see --help');
  };
}

/** Comma-separated text (each entry trimmed, empty entries dropped) that passes `check` as a whole. */
export function list<T extends string = string>(check: Check, fix: string,
  is: (entry: string) => entry is T = (entry): entry is T => true): Coercer<readonly T[]> {
  const whole = text(check, fix);
  return (r, fallback) => {
    const got = whole(r, fallback?.join(','));
    return got.ok ? ok(got.value.split(',').map((k) => k.trim()).filter(Boolean).filter(is)) : got;
  };
}

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Coercer<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
  return (r, fallback) => {
    const value = r.text.trim();
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      return no(`${r.source} must be a whole number ${range} but is "${r.text}"`,
        `give a whole number ${range}, e.g. ${r.source}=${fallback}`);
    }
    const n = Number(value);
    return n < min || n > max ? no(`${r.source} must be ${range} but is ${n}`, `give a whole number ${range}`) : ok(n);
  };
}

/** A duration in milliseconds ("90s", "1h30m"); zero only when allowed; then `atLeast`, when given. */
export function duration(
  opts: { allowZero?: boolean; atLeast?: { ms: number; why: string; fix: string } } = {},
): Coercer<number> {
  return (r) => {
    const parsed = parseDuration(r.text);
    if (!parsed.ok) return no(`${r.source}: ${parsed.message}`, parsed.fix);
    if (parsed.value === 0 && opts.allowZero !== true) {
      return no(`${r.source} must be longer than zero but is "${r.text}"`, 'give a positive duration, e.g. 30s or 5m');
    }
    if (opts.atLeast !== undefined && parsed.value < opts.atLeast.ms) {
      return no(`${r.source} ${opts.atLeast.why}`, opts.atLeast.fix);
    }
    return ok(parsed.value);
  };
}

export function oneOf<T extends string>(choices: readonly T[]): Coercer<T> {
  return (r) => {
    const found = choices.find((c) => c === r.text.trim());
    return found !== undefined ? ok(found)
      : no(`${r.source} must be one of ${choices.join(', ')} but is "${r.text}"`, `use one of: ${choices.join(', ')}`);
  };
}

/** Parse a byte size: a plain integer or a Kubernetes quantity such as 64Ki or 1Mi. */
export function parseByteSize(value: string): number | undefined {
  const m = /^(\d+)(k|M|G|Ki|Mi|Gi)?$/.exec(value.trim());
  if (m === null) {
    return undefined;
  }
  const n = Number(m[1]) * (BYTE_UNITS[m[2] ?? ''] ?? 1);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function byteSize(max: number, maxText: string): Coercer<number> {
  return (r) => {
    const size = parseByteSize(r.text);
    return size === undefined || size < 1 || size > max
      ? no(`${r.source} must be a size from 1 byte to ${maxText} but is "${r.text}"`,
        'give bytes as a whole number or with a unit: 65536, 64Ki, 1Mi (also k, M, G, Gi)')
      : ok(size);
  };
}

/** A parser of its own (label selector, window, …) whose refusal carries message and fix. */
export function parsed<T>(
  parse: (text: string) => { ok: true; value: T } | { ok: false; message: string; fix: string },
): Coercer<T> {
  return (r) => {
    const got = parse(r.text);
    return got.ok ? got : no(`${r.source}: ${got.message}`, got.fix);
  };
}
