// Transient failures — the API server restarting (connection refused or reset), a timeout, a 5xx, a 429 from API
// Priority and Fairness — are retried with exponential backoff and jitter, within a time budget; anything else is
// returned to the caller at once. Used by the doors to the cluster for every read and every idempotent write. The
// waits are the shared backoff's (shared/backoff.ts); this is the effectful shell that gives it the real clock.

import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffClock, startBackoff } from '../shared/backoff.ts';
import { isTransient } from './api-errors.ts';

export interface RetryOptions {
  /** Give up once this much time has passed since the first try. */
  budgetMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Which errors to retry; default isTransient. */
  retryOn?: (err: unknown) => boolean;
  /** Told of each retry (for a warning event). */
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void;
  /** The clock the waits are measured and slept on; the real one, stopped by `signal`, by default. */
  clock?: BackoffClock;
}

export const RETRY_DEFAULTS = { budgetMs: 60_000, firstDelayMs: 250, maxDelayMs: 5_000 } as const;

/** The real clock; its sleep ends early (false) when the signal fires. */
function systemClock(signal: AbortSignal | undefined): BackoffClock {
  return {
    now: () => Date.now(),
    sleep: (ms) => sleep(ms, true, { signal }).catch(() => false),
    random: Math.random,
  };
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const clock = opts.clock ?? systemClock(opts.signal);
  const backoff = startBackoff({ firstMs: opts.firstDelayMs ?? RETRY_DEFAULTS.firstDelayMs,
    maxMs: opts.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs }, opts.budgetMs ?? RETRY_DEFAULTS.budgetMs, clock);
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = backoff.next(attempt);
      if (!(opts.retryOn ?? isTransient)(err) || opts.signal?.aborted || delay === undefined) {
        throw err;
      }
      opts.onRetry?.(attempt, err, delay);
      // Aborted while waiting: give up with the error that made us wait, not an AbortError.
      if (!(await clock.sleep(delay))) throw err;
    }
  }
}
