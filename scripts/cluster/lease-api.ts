// The Lease object's read, and the one error shape of every Lease call: what failed, the HTTP code, and the RBAC fix
// when it is a 403. Shared by taking the lease (lease.ts) and holding it (lease-handle.ts).
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import { describeError, isNotFound, statusCode } from './api-errors.ts';

/** The lease, or undefined when there is none (or no namespace: a create then says which). */
export async function readLease(api: CoordinationV1Api, namespace: string, name: string): Promise<V1Lease | undefined> {
  try {
    return await api.readNamespacedLease({ name, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined; // no lease, or no namespace: the create tells which
    throw apiError(`lease ${namespace}/${name}: read`, err);
  }
}

export function apiError(what: string, err: unknown): Error {
  const code = statusCode(err);
  const fix = code === 403
    ? ': the rotator needs get, create and update on leases.coordination.k8s.io (rbac.yaml grants them for the ' +
      'lease named multus-token-rotator only); apply rbac.yaml, or bind the same rules for your --lease-name'
    : '';
  return new Error(`${what} failed${code ? ` (HTTP ${code})` : ''}: ${describeError(err)}${fix}`, { cause: err });
}
