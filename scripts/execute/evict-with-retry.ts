// One pod's eviction, the way kubectl drain does it but stricter: 429 (a budget says no, or its status is not yet
// observed) → back off with jitter, honouring Retry-After, until the per-pod timeout, then report the pod blocked;
// 500 for several budgets → blocked at once; 404 → already gone; 409 (the UID precondition: another pod holds the
// name now) → already gone, and the newer pod is left alone. Never a delete. The waits: shared/backoff.ts.
import type { EvictAnswer } from '../cluster/cluster-writer.ts';
import { type BackoffClock, type BackoffPolicy, startBackoff } from '../shared/backoff.ts';
import { formatSeconds } from '../shared/durations.ts';

export type EvictResult =
  | { kind: 'accepted'; attempts: number; ms: number }
  | { kind: 'already-gone'; attempts: number; reason?: string }
  | { kind: 'blocked'; attempts: number; reason: string }
  | { kind: 'failed'; attempts: number; reason: string }
  | { kind: 'aborted'; attempts: number };

export interface EvictDeps extends BackoffClock {
  evict: () => Promise<EvictAnswer>;
  aborted: () => boolean;
}

/** An eviction's waits: from 1 s up to 10 s, or as Retry-After says. */
export const EVICT_BACKOFF: BackoffPolicy = { firstMs: 1000, maxMs: 10_000 };

export async function evictWithRetry(deps: EvictDeps, timeoutMs: number): Promise<EvictResult> {
  const backoff = startBackoff(EVICT_BACKOFF, timeoutMs, deps);
  let lastRefusal = '';
  for (let attempt = 1;; attempt++) {
    if (deps.aborted()) return { kind: 'aborted', attempts: attempt - 1 };
    const answer = await deps.evict();
    switch (answer.kind) {
      case 'accepted':
        return { kind: 'accepted', attempts: attempt, ms: backoff.elapsedMs() };
      case 'not-found':
        return { kind: 'already-gone', attempts: attempt };
      case 'replaced':
        return { kind: 'already-gone', attempts: attempt, reason: 'replaced under the same name since the check; ' +
          `the Eviction API refused the newer pod on the UID precondition, so it was not evicted (${answer.message})` };
      case 'several-budgets':
        return { kind: 'blocked', attempts: attempt,
          reason: `several PodDisruptionBudgets cover the pod; the Eviction API refuses it (${answer.message})` };
      case 'error':
        return { kind: 'failed', attempts: attempt,
          reason: `eviction failed${answer.code ? ` (${answer.code})` : ''}: ${answer.message}` };
      case 'too-many-requests': {
        lastRefusal = answer.message;
        const wait = backoff.next(attempt, answer.retryAfterMs);
        if (wait === undefined) {
          return { kind: 'blocked', attempts: attempt, reason: `${lastRefusal} (still refused after ` +
            `${formatSeconds(backoff.elapsedMs())} and ${attempt} attempt(s); raise --step-timeout to wait longer)` };
        }
        if (!(await deps.sleep(wait))) return { kind: 'aborted', attempts: attempt };
      }
    }
  }
}
