// The one backoff of the tool: exponential from a first wait up to a cap, or what the server asked for (Retry-After),
// with ±20 % jitter either way so that retries from many runs do not line up; a loop gives up once the next wait
// would pass its budget. Used by the doors' transient-error retries (cluster/retry.ts) and by an eviction a budget
// refuses (execute/evict-with-retry.ts). The clock, sleep and randomness are passed in, so both are tested without
// waiting.
import type { Millis } from '../model.ts';

export interface BackoffPolicy {
  firstMs: number;
  maxMs: number;
}

export interface BackoffClock {
  now: () => Millis;
  /** Resolves after `ms`, or early (false) when the caller is being stopped. */
  sleep: (ms: number) => Promise<boolean>;
  random: () => number;
}

/** The wait before attempt `n + 1` (n ≥ 1): `askedMs` (a Retry-After) when given, else exponential; jittered. */
export function backoffMs(policy: BackoffPolicy, attempt: number, random: () => number, askedMs?: number): number {
  const base = askedMs ?? Math.min(policy.maxMs, policy.firstMs * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface Backoff {
  /** The wait before the next attempt, or undefined when waiting it would pass the budget. */
  next: (attempt: number, askedMs?: number) => number | undefined;
  /** Time since the backoff started. */
  elapsedMs: () => number;
}

/** A retry loop's schedule; its budget counts from now. */
export function startBackoff(policy: BackoffPolicy, budgetMs: number, clock: BackoffClock): Backoff {
  const started = clock.now();
  return {
    next: (attempt, askedMs) => {
      const wait = backoffMs(policy, attempt, clock.random, askedMs);
      return clock.now() + wait - started > budgetMs ? undefined : wait;
    },
    elapsedMs: () => clock.now() - started,
  };
}
