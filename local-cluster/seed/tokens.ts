// Tokens for a node's Multus pod with chosen expiry, signed with this cluster's key and bound like the real ones.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { ClusterEnv } from './cluster-env.ts';
import type { Cleanup } from './cleanup.ts';
import { multusPodOn, restoreNodeFileAfter } from './multus.ts';
import { ISSUER, mintToken, multusKubeconfig, writeNodeFile } from './node-files.ts';

export async function boundClaims(env: ClusterEnv, pod: V1Pod): Promise<Record<string, unknown>> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const ns = pod.metadata?.namespace ?? 'kube-system';
  const saName = pod.spec?.serviceAccountName ?? 'default';
  const sa = await core.readNamespacedServiceAccount({ name: saName, namespace: ns });
  return {
    iss: ISSUER,
    aud: [ISSUER],
    sub: `system:serviceaccount:${ns}:${saName}`,
    'kubernetes.io': {
      namespace: ns,
      serviceaccount: { name: saName, uid: sa.metadata?.uid },
      pod: { name: pod.metadata?.name, uid: pod.metadata?.uid },
      node: { name: pod.spec?.nodeName },
    },
  };
}

/**
 * A token bound to `pod`, signed by the cluster's key, that expires `expInSeconds` from now (negative: expired). It
 * looks like what the API server issues by default: the kubelet's 3607 s request extended to a year, with
 * kubernetes.io.warnafter (its lifetime is what the rotator judges the node's grant by).
 */
export async function boundToken(env: ClusterEnv, pod: V1Pod, expInSeconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + expInSeconds;
  const iat = Math.min(now - 3600, exp - 365 * 86400);
  const claims = await boundClaims(env, pod);
  return mintToken(env.root, {
    claims: { ...claims, iat, nbf: iat, exp,
      'kubernetes.io': { ...(claims['kubernetes.io'] as Record<string, unknown>), warnafter: iat + 3607 } },
  });
}

/**
 * Makes the node's token expire in `seconds` (negative: already expired): a token bound to the node's Multus pod,
 * signed by the cluster's key. The file is put back after the test unless the Multus pod was replaced meanwhile.
 */
export async function ageNodeToken(t: Cleanup, env: ClusterEnv, node: string, seconds: number): Promise<void> {
  restoreNodeFileAfter(t, env, node);
  writeNodeFile(t, env.root, node, multusKubeconfig(await boundToken(env, await multusPodOn(env, node), seconds)));
}
