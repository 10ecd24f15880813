// Flags and MTR_* environment (both passed in as data) to a frozen Config: flags win over their variables, which win
// over the defaults in the flag table. Collects every problem; never throws for user input. What each flag means is
// flag-table.ts; how a text becomes a value, coerce.ts; rules between flags, rules.ts; the --help text, usage.ts.
//
// Two steps, because two defaults are only known after connecting: parseSettings reads everything before any API
// call, resolveNamespaces then fills the summary's and the lease's namespace.
import { parseArgs } from 'node:util';
import type { RawValue } from './coerce.ts';
import type { Config, MaintenanceWindowConfig } from './config.ts';
import { envName, FLAGS, SERVICE_ACCOUNT_ROOT_ENV } from './flag-table.ts';
import { applyRules, namespaceProblems, type ConfigProblem, type Settings } from './rules.ts';

export type ParseSettingsResult =
  | { ok: true; settings: Readonly<Settings>; help: boolean }
  | { ok: false; problems: ConfigProblem[] };

type Env = Record<string, string | undefined>;

const BY_FLAG = new Map(FLAGS.map((f) => [f.flag, f]));

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function closestFlag(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of FLAGS) {
    const d = editDistance(name, f.flag);
    if (d < bestDistance) {
      best = f.flag;
      bestDistance = d;
    }
  }
  return best;
}

interface Read {
  settings: Partial<Settings>;
  problems: ConfigProblem[];
  help: boolean;
  /** Whether a flag was given at all (even without a usable value, or with a wrong one). */
  given: (flag: string) => boolean;
}

/** Reads every flag and variable; values that are wrong are reported and replaced by their default. */
function read(argv: string[], env: Env): Read {
  const problems: ConfigProblem[] = [];
  const problem = (source: string, value: string | undefined, message: string, fix: string): void => {
    problems.push(value === undefined ? { source, message, fix } : { source, value, message, fix });
  };

  // ── flags ──
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const f of FLAGS) {
    const type = f.arg === undefined ? 'boolean' : 'string';
    options[f.flag] = f.short === undefined ? { type } : { type, short: f.short };
  }
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  /** Last value of each flag given; null when it was given without a usable value (already reported). */
  const fromFlags = new Map<string, string | null>();
  for (const token of tokens) {
    if (token.kind === 'positional') {
      problem(
        'arguments',
        token.value,
        `the argument "${token.value}" is not a flag and this command takes no arguments`,
        'give values as --flag VALUE or --flag=VALUE (booleans as --flag=false); see --help',
      );
      continue;
    }
    if (token.kind !== 'option') {
      continue;
    }
    const spec = BY_FLAG.get(token.name);
    if (spec === undefined) {
      const suggestion = token.rawName.startsWith('--') ? closestFlag(token.name) : undefined;
      problem(
        token.rawName,
        token.value,
        `the flag ${token.rawName} is unknown`,
        suggestion === undefined ? 'remove it; see --help for the flags' : `did you mean --${suggestion}? see --help`,
      );
      continue;
    }
    const source = `--${spec.flag}`;
    if (spec.arg === undefined) {
      fromFlags.set(spec.flag, token.value ?? 'true');
      continue;
    }
    if (token.value === undefined) {
      problem(source, undefined, `the flag ${token.rawName} needs a value but none was given`,
        `write ${source}=${spec.arg}`);
      fromFlags.set(spec.flag, null);
    } else if (!token.inlineValue && /^--?[A-Za-z]/.test(token.value)) {
      problem(
        source,
        token.value,
        `the flag ${token.rawName} is followed by the flag ${token.value} instead of a value`,
        `give ${source} a value (${source}=${spec.arg}), or write ${source}=${token.value} if that is really the value`,
      );
      fromFlags.set(spec.flag, null);
    } else {
      fromFlags.set(spec.flag, token.value);
    }
  }

  // ── environment ──
  const known = new Set(FLAGS.filter((f) => f.env !== false).map((f) => envName(f.flag)));
  known.add(SERVICE_ACCOUNT_ROOT_ENV);
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('MTR_') && !known.has(key) && value !== undefined) {
      const guess = closestFlag(key.slice(4).toLowerCase().replaceAll('_', '-'));
      problem(
        key,
        value,
        `the environment variable ${key} is not one this tool reads`,
        guess === undefined ? 'remove it; see --help for the variables' : `did you mean ${envName(guess)}? see --help`,
      );
    }
  }

  /** The text of a setting and where it came from; undefined when unset (or given without a value). */
  const raw = (flag: string): RawValue | undefined => {
    if (fromFlags.has(flag)) {
      const text = fromFlags.get(flag);
      return text === null || text === undefined ? undefined : { source: `--${flag}`, text };
    }
    if (BY_FLAG.get(flag)?.env === false) {
      return undefined;
    }
    const key = envName(flag);
    const text = env[key];
    return text === undefined || text.trim() === '' ? undefined : { source: key, text };
  };

  // ── each flag's own value, in table order ──
  const values = new Map<string, unknown>();
  const settings: Record<string, unknown> = {};
  for (const f of FLAGS) {
    const r = raw(f.flag);
    let value = f.default;
    if (r !== undefined) {
      const got = f.coerce(r, f.default);
      if (got.ok) value = got.value;
      else problem(r.source, r.text, got.message, got.fix);
    }
    values.set(f.flag, value);
    if (f.key !== undefined && value !== undefined) settings[f.key] = value;
  }
  const s = settings as Partial<Settings>;

  // ── rules between flags ──
  applyRules({ value: (flag) => values.get(flag), raw, env, problem }, s);
  return { settings: s, problems, help: values.get('help') === true,
    given: (flag) => fromFlags.has(flag) || raw(flag) !== undefined };
}

/** Frozen, the window too. */
function freeze<T extends Partial<Settings>>(s: T): Readonly<T> {
  const window = s.window;
  if (window !== undefined) {
    s.window = Object.freeze({ ...window,
      days: Object.freeze([...window.days]) as number[] }) as MaintenanceWindowConfig;
  }
  return Object.freeze(s);
}

/** Everything but the namespaces that default to the job's own; no API call is needed to know any of it. */
export function parseSettings(argv: string[], env: Env): ParseSettingsResult {
  const r = read(argv, env);
  if (r.help) {
    // --help wins over any other problem: the caller prints usage() and exits.
    return { ok: true, settings: freeze(read([], {}).settings as Settings), help: true };
  }
  return r.problems.length > 0 ? { ok: false, problems: r.problems }
    : { ok: true, settings: freeze(r.settings as Settings), help: false };
}

/**
 * The complete Config: the summary's and the lease's namespace, when not given, are `defaultNamespace` — the job's
 * own namespace in-cluster; locally the namespace rbac.yaml creates, so that a laptop run shares the CronJob's lease
 * and summary.
 */
export function resolveNamespaces(settings: Readonly<Settings>, defaultNamespace: string): { ok: true;
  config: Readonly<Config> } | { ok: false; problems: ConfigProblem[] } {
  const problems = namespaceProblems(
    (flag) => (flag === 'summary-namespace' ? settings.summaryNamespace : settings.leaseNamespace) !== undefined,
    defaultNamespace,
  );
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: freeze({
    ...settings,
    summaryNamespace: settings.summaryNamespace ?? defaultNamespace,
    leaseNamespace: settings.leaseNamespace ?? defaultNamespace,
  }) };
}
