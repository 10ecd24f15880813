// What a thrown error says about the run, for its exit code: one mapping for a run whose acting could not start
// (run-once.ts) and for a run that ended on an error (rotate.ts). An error wrapped without a status of its own (the
// lease's, cluster/lease.ts) is judged by its cause.
import { certificateFailure, isForbidden, isNetworkError, statusCode } from '../cluster/api-errors.ts';
import { GuardRailsMissing } from '../execute/guard-rails.ts';
import { EXIT } from './exit-codes.ts';

/**
 * refused: the API server refused the credentials or a permission (401, 403); certificate: its certificate did not
 * verify; unreachable: a network failure; guard-rails: rbac.yaml's guard rails are not in force; unexpected: anything
 * else.
 */
export type ErrorKind = 'refused' | 'certificate' | 'unreachable' | 'guard-rails' | 'unexpected';

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof GuardRailsMissing) return 'guard-rails';
  const answer = statusCode(err) === undefined ? (err as { cause?: unknown } | null)?.cause ?? err : err;
  if (isForbidden(answer) || statusCode(answer) === 401) return 'refused';
  if (certificateFailure(err) !== undefined) return 'certificate';
  if (isNetworkError(err) || isNetworkError(answer)) return 'unreachable';
  return 'unexpected';
}

/** CLUSTER for an error of the cluster or the setup (the guard rails), ERROR for anything else. */
export function exitCodeForError(err: unknown): number {
  return errorKind(err) === 'unexpected' ? EXIT.ERROR : EXIT.CLUSTER;
}
