// The run's stop signal (SIGTERM or SIGINT, or the lease lost: run-once.ts) as a Stop: its cause, and the words its
// abort gave. One owner, so that every node and pod it stops says the same thing.
import type { Stop } from '../model.ts';

/** The words of the signal's abort (rotate.ts: "interrupted by SIGTERM"; lease.ts: the lease lost). */
export function stopReason(signal: AbortSignal): string {
  return String(signal.reason ?? 'stopped');
}

/** The Stop of an aborted signal, or undefined while it is not aborted. */
export function signalStop(signal: AbortSignal): Stop | undefined {
  return signal.aborted ? { cause: 'signal', reason: stopReason(signal) } : undefined;
}
