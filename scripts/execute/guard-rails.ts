// Fail closed: an acting run proves, before it changes anything, that rbac.yaml's guard rails are in force for its
// own credentials (scripts/cluster/guard-rail-probes.ts asks the API server). Pure: the answers in, one verdict out.
// A forbidden pod shape and a forbidden exec must be refused; the Multus pod's delete and the reader pod must be
// allowed. Anything else is one line naming what is missing and the rbac.yaml value that changes it (exit 4).
import { describeError } from '../cluster/api-errors.ts';
import type { Config } from '../config/config.ts';
import type { Emit } from '../log/events.ts';
import type { NodeStep, RestartPlan } from '../model.ts';
import type { GuardRailProbes, PolicyFacts, PolicyName, ProbeAnswer,
  ProbeTarget } from '../cluster/guard-rail-probes.ts';

export const LAYOUT_CONFIGMAP = 'multus-token-rotator-layout';

export interface GuardContext {
  /** The namespace the job runs in: where its layout ConfigMap is, and where the bindings must look for it. */
  jobNamespace: string;
  target: ProbeTarget;
}

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

const byPolicy = (a: ProbeAnswer & { outcome: 'refused' }) => /ValidatingAdmissionPolicy '/.test(a.message);

/** Why a policy that should have refused did not: the first missing piece, with its fix. */
export function policyCause(name: PolicyName, f: PolicyFacts, ctx: GuardContext): string {
  const layout = `ConfigMap ${ctx.jobNamespace}/${LAYOUT_CONFIGMAP}`;
  if (f.policy.state === 'no-api') {
    return 'this cluster does not serve ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1): Kubernetes 1.30 ' +
      "or newer is required for rbac.yaml's policies";
  }
  if (f.policy.state === 'absent') return `ValidatingAdmissionPolicy ${name} does not exist: apply rbac.yaml`;
  if (f.policy.state === 'unreadable') {
    return `ValidatingAdmissionPolicy ${name} could not be read (${f.policy.message}): apply rbac.yaml, whose ` +
      'ClusterRole lets the job read it';
  }
  if (f.binding.state === 'absent' || f.binding.state === 'no-api') {
    return `ValidatingAdmissionPolicyBinding ${name} does not exist: apply rbac.yaml`;
  }
  if (f.binding.state === 'unreadable') {
    return `ValidatingAdmissionPolicyBinding ${name} could not be read (${f.binding.message}): apply rbac.yaml`;
  }
  const ref = f.binding.paramRef;
  if (ref?.namespace !== ctx.jobNamespace || ref.name !== LAYOUT_CONFIGMAP) {
    return `ValidatingAdmissionPolicyBinding ${name} reads its parameters from ` +
      `${ref?.namespace ?? '(no namespace)'}/${ref?.name ?? '(no name)'}, not from ${layout}: set its ` +
      `paramRef.namespace to ${ctx.jobNamespace} (and paramRef.name to ${LAYOUT_CONFIGMAP}) in rbac.yaml`;
  }
  return `ValidatingAdmissionPolicy ${name} and its binding exist but did not apply: check that ${layout} exists ` +
    '(rbac.yaml) and that the job runs as the service account multus-token-rotator of that namespace';
}

/** A request that must be refused: refused (by a policy or by RBAC) is fine; admitted or unanswered is not. */
function mustRefuse(what: string, a: ProbeAnswer, policy: PolicyName, p: GuardRailProbes, ctx: GuardContext):
  | string
  | undefined {
  if (a.outcome === 'refused') return undefined;
  if (a.outcome === 'error') return `could not prove that ${what} is refused (${a.message})`;
  return `${what} was admitted for this service account: ${policyCause(policy, p.policies[policy], ctx)}`;
}

/** A request the run will make: it must be allowed, and a refusal says whether RBAC or which policy refused it. */
function mustAllow(what: string, verb: string, a: ProbeAnswer, fix: string, ctx: GuardContext): string | undefined {
  if (a.outcome === 'allowed') return undefined;
  const ns = ctx.target.pod.namespace;
  if (a.outcome === 'error') return `could not prove that ${what} is allowed (${a.message})`;
  if (!byPolicy(a)) {
    return `RBAC does not let this service account ${verb} pods in ${ns}: the Role and RoleBinding marked ` +
      `"Multus namespace" in rbac.yaml must be in ${ns} (MTR_NAMESPACE) and name this service account`;
  }
  return `${what} is refused (${a.message}): ${fix}`;
}

export interface GuardRailsDeps {
  jobNamespace: string;
  probe: (target: ProbeTarget) => Promise<GuardRailProbes>;
}

/** Asks (through the injected probe) and judges, for the Multus pod the run would restart first. */
export async function checkGuardRails(g: GuardRailsDeps,
  config: Pick<Config, 'container' | 'kubeconfigPath' | 'hostDir' | 'readerImage' | 'readTimeoutMs'>,
  step: NodeStep): Promise<GuardVerdict> {
  const target: ProbeTarget = { pod: { ...step.multusPod, node: step.node }, container: config.container,
    kubeconfigPath: config.kubeconfigPath, hostDir: config.hostDir, readerImage: config.readerImage,
    readTimeoutMs: config.readTimeoutMs };
  try {
    return judgeGuardRails(await g.probe(target), { jobNamespace: g.jobNamespace, target });
  } catch (err) {
    return { ok: false, reason: `guard rails not in force: could not ask the API server (${describeError(err)})` };
  }
}

/** A guard rail is not in force: the run must not act (exit 4). Its message is the one setup line. */
export class GuardRailsMissing extends Error {
  override name = 'GuardRailsMissing';
}

/** The gate of an acting run, before anything changes: emits the verdict, throws GuardRailsMissing when it fails. */
export async function requireGuardRails(g: GuardRailsDeps, config: Parameters<typeof checkGuardRails>[1],
  plan: RestartPlan, emit: Emit): Promise<void> {
  const step = plan.steps[0];
  if (!step) return;
  const v = await checkGuardRails(g, config, step);
  emit({ type: 'guard-rails', ok: v.ok, reason: v.ok ? 'checked with dry runs' : v.reason });
  if (!v.ok) throw new GuardRailsMissing(v.reason);
}

export function judgeGuardRails(p: GuardRailProbes, ctx: GuardContext): GuardVerdict {
  const t = ctx.target;
  const pod = `${t.pod.namespace}/${t.pod.name}`;
  const layout = `ConfigMap ${ctx.jobNamespace}/${LAYOUT_CONFIGMAP} (rbac.yaml)`;
  const reason =
    mustRefuse(`a pod mounting the host's root in ${t.pod.namespace}`, p.hostRootPod, 'multus-token-rotator', p, ctx) ??
      mustRefuse(`an exec of "cat /etc/hostname" into the Multus pod ${pod}`, p.foreignExec,
        'multus-token-rotator-exec', p, ctx) ??
      mustAllow(`deleting the Multus pod ${pod}`, 'delete', p.multusDelete,
        `name its DaemonSet in MTR_DAEMONSETS of ${layout}`, ctx) ??
      mustAllow(`the reader pod for node ${t.pod.node}`, 'create', p.readerPod,
        `make MTR_HOST_DIR, MTR_KUBECONFIG_PATH and MTR_READER_IMAGE of ${layout} this cluster's Multus layout`, ctx);
  return reason === undefined ? { ok: true } : { ok: false, reason: `guard rails not in force: ${reason}` };
}
