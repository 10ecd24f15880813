// Transient failures — the API server restarting (connection refused or reset), a timeout, a 5xx, a 429 from API
// Priority and Fairness — are retried with exponential backoff and jitter, within a time budget; anything else is
// returned to the caller at once. Used by the doors to the cluster for every read and every idempotent write.

const NETWORK = /ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|socket hang up|fetch failed|other side closed|UND_ERR|socket disconnected|Unexpected server response: 5\d\d/i;

/** Whether an error's text (e.g. an exec failure's reason) names a network failure. */
export function isTransientText(text: string): boolean {
  return NETWORK.test(text);
}

/** Whether `err` is worth another try: a network failure, a server error, or the API server asking us to slow down. */
export function isTransient(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: string; cause?: { code?: unknown; message?: string }; body?: unknown };
  if (typeof e.code === 'number') {
    if (e.code === 500 && typeof e.body === 'string' && /more than one PodDisruptionBudget/i.test(e.body)) return false;
    return e.code === 429 || e.code >= 500;
  }
  const text = [e.code, e.message, e.cause?.code, e.cause?.message].filter((x) => x !== undefined).join(' ');
  return NETWORK.test(text);
}

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
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = Math.round(Math.min(cap, first * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random()));
      if (!(opts.retryOn ?? isTransient)(err) || opts.signal?.aborted || Date.now() + delay - started > budget) throw err;
      opts.onRetry?.(attempt, err, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
