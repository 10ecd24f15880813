// Before an acting run changes anything, it asks the API server — with its own credentials, through the real
// authorization and admission chain — whether its guard rails are in force. Nothing here changes the cluster:
// - pods are sent with dryRun=All (a forbidden shape: the reader pod mounting the host's root; the reader pod itself);
// - the Multus pod's delete is sent with dryRun=All;
// - an exec cannot be dry-run: the API server refuses `dryRun` on a CONNECT outright ("dryRun is not supported",
//   k8s.io/apiserver endpoints/handlers/rest.go ConnectResource). Instead the exec is a plain POST without an Upgrade
//   header. It is authorized and admitted like any exec (the exec policy sees it), and then, admitted, answered
//   400 "Upgrade request required" by the proxy (apimachinery util/proxy UpgradeAwareHandler, UpgradeRequired is set
//   for pods/exec) before the kubelet is contacted: nothing runs. 403 means refused.
// The policy and binding objects are read too (get only), so that a missing guard rail can be named.
// scripts/execute/guard-rails.ts judges the answers; this module only gathers them.
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { describeError, statusCode, statusMessage } from './api-errors.ts';
import { rawRequester } from './raw-list.ts';
import { readerPod } from './reader-pod.ts';

/** What the API server answered one request; `message` is the Status message (never a raw body). */
export type ProbeAnswer =
  | { outcome: 'allowed' }
  | { outcome: 'refused'; status: number; message: string }
  | { outcome: 'error'; status?: number; message: string };

export type PolicyName = 'multus-token-rotator' | 'multus-token-rotator-delete' | 'multus-token-rotator-exec';

/** A policy object, or its binding: there, absent, its API not served (Kubernetes < 1.30), or not readable. */
export type ObjectFacts =
  | { state: 'present' }
  | { state: 'absent' | 'no-api' }
  | { state: 'unreadable'; message: string };

export interface PolicyFacts {
  policy: ObjectFacts;
  binding: ObjectFacts & { paramRef?: { name?: string; namespace?: string } };
}

export interface GuardRailProbes {
  /** The reader pod with its one volume the host's root: must be refused. */
  hostRootPod: ProbeAnswer;
  /** `cat /etc/hostname` in the Multus container: must be refused. */
  foreignExec: ProbeAnswer;
  /** The delete of the Multus pod the run would restart (dryRun=All): must be allowed. */
  multusDelete: ProbeAnswer;
  /** The reader pod the run would create on that node (dryRun=All): must be allowed. */
  readerPod: ProbeAnswer;
  policies: Record<PolicyName, PolicyFacts>;
}

export interface ProbeTarget {
  /** The Multus pod the run would restart first. */
  pod: { namespace: string; name: string; uid: string; node: string };
  container: string;
  kubeconfigPath: string;
  hostDir: string;
  readerImage: string;
  readTimeoutMs: number;
}

function answerOf(err: unknown): ProbeAnswer {
  const status = statusCode(err);
  const message = statusMessage(err) ?? describeError(err);
  // RBAC answers 403; a policy's validation answers 422 (its reason defaults to Invalid) or 403. A 422 that names no
  // policy is the API server's own validation: it proves nothing about the guard rails.
  const byPolicy = status === 422 && /ValidatingAdmissionPolicy '/.test(message);
  return status === 403 || byPolicy ? { outcome: 'refused', status, message }
    : status === undefined ? { outcome: 'error', message } : { outcome: 'error', status, message };
}

const settle = (p: Promise<unknown>): Promise<ProbeAnswer> => p.then(() => ({ outcome: 'allowed' as const }), answerOf);

function factsOf(err: unknown, name: string): ObjectFacts {
  if (statusCode(err) === 404) {
    // A missing object is named in the answer; an API that is not served answers a bare 404.
    return (statusMessage(err) ?? '').includes(`"${name}" not found`) ? { state: 'absent' } : { state: 'no-api' };
  }
  return { state: 'unreadable', message: statusMessage(err) ?? describeError(err) };
}

/** The reader pod the run would create on the target's node: the layout's host directory, image and path. */
export function probeReaderPod(t: ProbeTarget): V1Pod {
  const mountPath = t.kubeconfigPath.slice(0, t.kubeconfigPath.lastIndexOf('/'));
  return readerPod({ namespace: t.pod.namespace, node: t.pod.node, image: t.readerImage, hostPath: t.hostDir, mountPath,
    filePath: t.kubeconfigPath, timeoutMs: t.readTimeoutMs });
}

export async function probeGuardRails(kc: KubeConfig, t: ProbeTarget): Promise<GuardRailProbes> {
  const core = kc.makeApiClient(CoreV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const raw = rawRequester(kc);
  const ns = t.pod.namespace;
  const reader = probeReaderPod(t);
  const hostRoot = structuredClone(reader);
  const volume = hostRoot.spec?.volumes?.[0];
  if (volume?.hostPath) volume.hostPath.path = '/';
  const exec = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(t.pod.name)}/exec?` +
    new URLSearchParams([['container', t.container], ['command', 'cat'], ['command', '/etc/hostname'], ['stdout',
      'true']]).toString();
  const facts = async (name: PolicyName): Promise<PolicyFacts> => {
    const policy = await admission.readValidatingAdmissionPolicy({ name }).then(
      (): ObjectFacts => ({ state: 'present' }),
      (err: unknown) => factsOf(err, name),
    );
    const binding = await admission.readValidatingAdmissionPolicyBinding({ name }).then(
      (b) => ({ state: 'present' as const,
        paramRef: { name: b.spec?.paramRef?.name, namespace: b.spec?.paramRef?.namespace } }),
      (err: unknown) => factsOf(err, name),
    );
    return { policy, binding };
  };
  const [hostRootPod, foreignExec, multusDelete, readerAnswer, create, del, ex] = await Promise.all([
    settle(core.createNamespacedPod({ namespace: ns, dryRun: 'All', body: hostRoot })),
    raw('POST', exec, {}).then(
      (): ProbeAnswer => ({ outcome: 'error', message: 'the exec was answered 200 without an upgrade' }),
      (err: unknown): ProbeAnswer =>
        statusCode(err) === 400 && /Upgrade request required/i.test(statusMessage(err) ?? '')
          ? { outcome: 'allowed' } : answerOf(err),
    ),
    settle(
      core.deleteNamespacedPod({ name: t.pod.name, namespace: ns, dryRun: 'All',
        body: { preconditions: { uid: t.pod.uid }, dryRun: ['All'] } }),
    ),
    settle(core.createNamespacedPod({ namespace: ns, dryRun: 'All', body: reader })),
    facts('multus-token-rotator'),
    facts('multus-token-rotator-delete'),
    facts('multus-token-rotator-exec'),
  ]);
  return { hostRootPod, foreignExec, multusDelete, readerPod: readerAnswer,
    policies: { 'multus-token-rotator': create, 'multus-token-rotator-delete': del, 'multus-token-rotator-exec': ex } };
}
