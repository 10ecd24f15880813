// Transient failures — the API server restarting (connection refused or reset), a timeout, a 5xx, a 429 from API
// Priority and Fairness — are retried with exponential backoff and jitter, within a time budget; anything else is
// returned to the caller at once. Used by the doors to the cluster for every read and every idempotent write.

import { setTimeout as sleep } from 'node:timers/promises';
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
}

export const RETRY_DEFAULTS = { budgetMs: 60_000, firstDelayMs: 250, maxDelayMs: 5_000 } as const;

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const budget = opts.budgetMs ?? RETRY_DEFAULTS.budgetMs;
  const first = opts.firstDelayMs ?? RETRY_DEFAULTS.firstDelayMs;
  const cap = opts.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const started = Date.now();
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = Math.round(Math.min(cap, first * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random()));
      if (!(opts.retryOn ?? isTransient)(err) || opts.signal?.aborted || Date.now() + delay - started > budget) {
        throw err;
      }
      opts.onRetry?.(attempt, err, delay);
      // Aborted while waiting: give up with the error that made us wait, not an AbortError.
      await sleep(delay, undefined, { signal: opts.signal }).catch(() => {
        throw err;
      });
    }
  }
}
