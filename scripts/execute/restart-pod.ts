// One dependent pod: look again, evict it (with retries on 429), and wait until its controller has as many Ready pods
// as before. A ReplicaSet's replacement does not wait for the old pod, so the old one may still be terminating (a long
// grace period) when the pod counts as replaced; any other controller's replacement comes only once the old pod is
// gone (NotFound or a new UID), which is waited for first. The pod has its own wait budget (pod-budget.ts), started
// only if it fits before the run's deadline. Every wait is a watch.
import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf, podIsReady } from '../shared/pods.ts';
import { WaitAborted, WaitTimeout } from '../cluster/wait-for-pod.ts';
import type { PdbFacts, PodExecution, PodVerdict } from '../model.ts';
import { evictWithRetry } from './evict-with-retry.ts';
import { podBudget } from './pod-budget.ts';
import type { StepDeps } from './step-deps.ts';
import { stopReason } from './stop-reason.ts';

/**
 * A label selector that keeps the waits to the pod's siblings (and its replacement) instead of its whole namespace:
 * a ReplicaSet's pods share pod-template-hash, a StatefulSet's replacement keeps its pod name. Other controllers:
 * the whole namespace (the owner's UID is checked on every pod either way).
 */
export function siblingSelector(pod: V1Pod, ownerKind: string): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  const hash = labels['pod-template-hash'];
  if (ownerKind === 'ReplicaSet' && hash) return `pod-template-hash=${hash}`;
  const name = labels['statefulset.kubernetes.io/pod-name'];
  if (ownerKind === 'StatefulSet' && name) return `statefulset.kubernetes.io/pod-name=${name}`;
  return undefined;
}

/** `runDeadline`: epoch ms by which the pod's wait must be over (the run's --deadline); its budget must fit before. */
export async function restartPod(verdict: PodVerdict, pdbs: readonly PdbFacts[], deps: StepDeps,
  runDeadline: number): Promise<PodExecution> {
  const { writer, config } = deps;
  const base = { namespace: verdict.namespace, name: verdict.name, uid: verdict.uid };
  const dryRun = config.mode === 'server-dry-run';

  // Things change: judge the pod again, with the budgets as they are now.
  const pod = await writer.readPod(verdict.namespace, verdict.name);
  if (!pod || pod.metadata?.uid !== verdict.uid) {
    return { ...base, outcome: 'already-gone',
      reason: pod ? `replaced since the scan by ${pod.metadata?.uid}` : 'gone since the scan' };
  }
  const fresh = await deps.recheck.reverdictPod(pod, pdbs);
  if (fresh.action !== 'restart') {
    return { ...base,
      ...(fresh.action === 'blocked' ? { outcome: 'blocked', cause: 'budget' } : { outcome: 'skipped' }),
      reason: `re-checked: ${fresh.reason}` };
  }
  const owner = controllerOf(pod);
  if (!owner) return { ...base, outcome: 'skipped', reason: 'has no controller (re-checked); never evicted' };
  const budget = podBudget(pod, owner.kind, config.stepTimeoutMs);
  if (deps.now() + budget.ms > runDeadline) {
    return { ...base, outcome: 'not-started', cause: 'deadline',
      reason: `not evicted: the run's deadline (--deadline) leaves no room for its wait budget of ${budget.text}` };
  }
  const podDeadline = deps.now() + budget.ms;
  const ownedReady = (pods: ReadonlyMap<string, V1Pod>, exclude: string) =>
    [...pods.values()].filter((p) =>
      p.metadata?.uid !== exclude && !p.metadata?.deletionTimestamp && controllerOf(p)?.uid === owner.uid &&
      podIsReady(p)
    );
  const ns = verdict.namespace;
  // The controller's Ready pods now (this one included): the replacement must bring their number back, and is the
  // Ready pod that is not among them.
  const siblings = siblingSelector(pod, owner.kind);
  const census = (pods: ReadonlyMap<string, V1Pod>) => ({
    ready: new Set(ownedReady(pods, '').map((p) => p.metadata?.uid)),
    // A ReplicaSet's terminating pod is already replaced (by a pod counted here if it is not Ready yet).
    unreadyOthers:
      [...pods.values()].filter((p) =>
        p.metadata?.uid !== verdict.uid && controllerOf(p)?.uid === owner.uid && !podIsReady(p) &&
        !(owner.kind === 'ReplicaSet' && p.metadata?.deletionTimestamp)
      ).length,
  });
  const near = await writer.waitForPods({ namespace: ns, labelSelector: siblings, timeoutMs: 30_000,
    what: `pods of ${owner.kind} ${owner.name}`, until: census });
  const readyBefore = near.ready;
  const target = readyBefore.size;
  // Never take a pod from a controller that is already short of Ready pods — unless this pod is the one missing:
  // its replacement may be unable to start, and then two would be missing. Every pod of the controller counts (a
  // StatefulSet's siblings selector above is the pod's own name: look at the whole namespace for it).
  const whole = owner.kind === 'StatefulSet' && siblings !== undefined
    ? await writer.waitForPods({ namespace: ns, timeoutMs: 30_000, what: `pods of ${owner.kind} ${owner.name}`,
      until: census })
    : near;
  const desired = await writer.desiredReplicas(owner.kind, ns, owner.name);
  const selfUnready = podIsReady(pod) ? 0 : 1;
  const short = Math.max(desired === undefined ? 0 : desired - whole.ready.size - selfUnready, whole.unreadyOthers);
  if (short > 0) {
    const reason = `${owner.kind} ${owner.name} is already short of Ready pods (${whole.ready.size} Ready` +
      `${desired === undefined ? '' : ` of ${desired} desired`}${
        whole.unreadyOthers > 0 ? `, ${whole.unreadyOthers} other(s) not Ready` : ''
      }); ` +
      'evicting this one could leave it two short: not evicted';
    await deps.event({ regarding: { kind: 'Pod', namespace: ns, name: verdict.name, uid: verdict.uid },
      reason: 'MultusTokenEvictionBlocked', note: reason, type: 'Warning', action: 'Evict' });
    return { ...base, outcome: 'blocked', cause: 'budget', reason };
  }

  const started = deps.now();
  const evicted = await evictWithRetry({
    evict: () => writer.evict(ns, verdict.name, verdict.uid, dryRun),
    now: deps.now,
    sleep: deps.sleep,
    random: deps.random,
    aborted: () => deps.signal.aborted,
  }, Math.max(0, podDeadline - started));
  const attempts = evicted.attempts;
  switch (evicted.kind) {
    case 'already-gone':
      return { ...base, outcome: 'already-gone',
        reason: evicted.reason ?? 'the Eviction API answered 404: already gone', attempts };
    case 'blocked':
      await deps.event({ regarding: { kind: 'Pod', namespace: ns, name: verdict.name, uid: verdict.uid },
        reason: 'MultusTokenEvictionBlocked', note: evicted.reason, type: 'Warning', action: 'Evict' });
      return { ...base, outcome: 'blocked', cause: 'budget', reason: evicted.reason, attempts };
    case 'failed':
      return { ...base, outcome: 'failed', cause: 'failure', reason: evicted.reason, attempts };
    case 'aborted':
      return { ...base, outcome: 'not-started', cause: 'signal', reason: `not evicted: ${stopReason(deps.signal)}`,
        attempts };
    case 'accepted':
      break;
  }
  if (dryRun) {
    return { ...base, outcome: 'dry-run', reason: 'the API server would evict it now (dryRun=All)', attempts,
      evictMs: evicted.ms };
  }
  const accepted = deps.now();
  deps.emit({ type: 'pod-evicted', namespace: ns, name: verdict.name, node: pod.spec?.nodeName ?? '', attempts });
  await deps.event({ regarding: { kind: 'Pod', namespace: ns, name: verdict.name, uid: verdict.uid },
    reason: 'MultusTokenEvicted', type: 'Normal', action: 'Evict',
    note: `evicted so that it is recreated after the Multus pod on node ${pod.spec?.nodeName} got a fresh token` });
  const result: PodExecution = { ...base, outcome: 'evicted', reason: '', attempts, evictMs: evicted.ms };
  let oldStill = false;
  try {
    if (budget.waitsForGone) {
      await writer.waitForPods({ namespace: ns, fieldSelector: `metadata.name=${verdict.name}`, signal: deps.signal,
        timeoutMs: Math.max(1000, podDeadline - deps.now()), what: `evicted pod ${ns}/${verdict.name} to be gone`,
        until: (pods) => ([...pods.values()].some((p) => p.metadata?.uid === verdict.uid) ? undefined : true) });
      result.goneMs = deps.now() - accepted;
    }
    const replacement = await writer.waitForPods({ namespace: ns, labelSelector: siblings, signal: deps.signal,
      timeoutMs: Math.max(1000, podDeadline - deps.now()),
      what: `a Ready replacement for ${ns}/${verdict.name} (${owner.kind} ${owner.name} back to ${target} Ready)`,
      until: (pods) => {
        const ready = ownedReady(pods, verdict.uid);
        if (ready.length < Math.max(1, target)) return undefined;
        const found = ready.find((p) => !readyBefore.has(p.metadata?.uid));
        if (found && !budget.waitsForGone) {
          oldStill = [...pods.values()].some((p) => p.metadata?.uid === verdict.uid);
          if (!oldStill) result.goneMs ??= deps.now() - accepted;
        }
        return found;
      } });
    result.replacementReadyMs = deps.now() - accepted;
    result.replacement = { name: replacement.metadata?.name ?? '', uid: replacement.metadata?.uid ?? '' };
    result.reason = `replaced by ${result.replacement.name}, Ready after ${result.replacementReadyMs} ms` +
      (oldStill ?
        `; the old pod is still terminating (grace period ${budget.graceSeconds} s), which its ReplicaSet does not ` +
        'wait for' : '');
    if (oldStill) result.oldTerminating = true;
    return result;
  } catch (err) {
    if (err instanceof WaitAborted) {
      return { ...result, outcome: 'failed', cause: 'signal', reason: `evicted, but the run was stopped before its ` +
        `replacement was Ready (${stopReason(deps.signal)}); the next run checks it again` };
    }
    if (err instanceof WaitTimeout) {
      return { ...result, outcome: 'failed', cause: 'failure', reason: `evicted, but ${err.message}` };
    }
    throw err;
  }
}
