// The work earlier runs left (report/left-work.ts), made into this run's plan. A node whose token is healthy gets a
// finish step: no Multus restart, only the dependents left there, each judged again by the filters as any dependent
// is (the cordon lifted, the budget allowing, the window open). A node with a rotation step in this run needs none:
// its dependents are in that step. A node whose token is not healthy and not planned keeps its record until it is
// rotated. Left pods gone or replaced since are done; under --dependents none nothing is evicted, so the record is
// dropped, saying so. Pure.
import type { DependentsPolicy } from '../config/config.ts';
import type { LeftNode, LeftWorkVerdict, NodeFinding, NodeStep, PodFacts, PodVerdict } from '../model.ts';
import { isDependent } from './pod-filters.ts';
import { formatInstant } from '../shared/time-format.ts';

export interface LeftWorkInput {
  leftWork: ReadonlyMap<string, LeftNode>;
  findings: readonly NodeFinding[];
  /** Nodes with a rotation step in this run. */
  planned: ReadonlySet<string>;
  dependents: DependentsPolicy;
}

/** A left node's verdict fields, and the words every verdict on it starts with. */
function leftBy(node: string,
  left: LeftNode): { base: Pick<LeftWorkVerdict, 'node' | 'since' | 'pods'>; from: string } {
  return { base: { node, since: left.since, pods: left.pods.length },
    from: `${left.pods.length} pod(s) left by the run of ${formatInstant(left.since, 'minutes')}` };
}

/** Which left nodes may get a finish step (their token is healthy), and the verdict of the others. */
export function sortLeftWork(input: LeftWorkInput): {
  candidates: Map<string, { finding: NodeFinding; left: LeftNode }>;
  verdicts: LeftWorkVerdict[];
} {
  const byNode = new Map(input.findings.map((f) => [f.node, f]));
  const candidates = new Map<string, { finding: NodeFinding; left: LeftNode }>();
  const verdicts: LeftWorkVerdict[] = [];
  for (const [node, left] of [...input.leftWork.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { base, from } = leftBy(node, left);
    const f = byNode.get(node);
    if (input.dependents === 'none') {
      verdicts.push({ ...base, status: 'dropped', reason: `${from}: not evicted, --dependents none evicts nothing` });
    } else if (f === undefined) {
      verdicts.push({ ...base, status: 'dropped', reason: `${from}: node ${node} has no Multus pod now` });
    } else if (input.planned.has(node)) {
      verdicts.push({ ...base, status: 'in-rotation', reason: `${from}: in this run's rotation of the node` });
    } else if (f.class === 'healthy') {
      candidates.set(node, { finding: f, left });
    } else {
      verdicts.push({ ...base, status: 'waiting',
        reason: `${from}: kept until the node's token (${f.class}) is rotated, then its dependents are evicted` });
    }
  }
  return { candidates, verdicts };
}

/**
 * The finish step of a candidate node, from the pods on it now: the left pods still there under the same UID and
 * still dependents, each with `verdict`'s judgement. Undefined when none is left (the verdict says why).
 */
export function finishStep(f: NodeFinding, left: LeftNode, onNode: readonly PodFacts[], policy: DependentsPolicy,
  verdict: (p: PodFacts) => PodVerdict): { step?: NodeStep; verdict: LeftWorkVerdict } {
  const uids = new Set(left.pods.map((p) => p.uid));
  const still = onNode.filter((p) => uids.has(p.uid) && isDependent(p, policy))
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : 1));
  const { base, from } = leftBy(f.node, left);
  if (still.length === 0) {
    return { verdict: { ...base, status: 'done', reason: `${from}: gone or replaced since; nothing is left` } };
  }
  const first = left.pods.find((p) => uids.has(p.uid) && p.reason !== '')?.reason;
  const step: NodeStep = {
    node: f.node,
    class: f.class,
    reason: `finishes what the run of ${formatInstant(left.since, 'minutes')} left: ${still.length} dependent pod(s) ` +
      `not evicted then${first ? ` (${first})` : ''}; the node's token is healthy, so its Multus pod is not restarted`,
    multusPod: { namespace: f.multusPod.namespace, name: f.multusPod.name, uid: f.multusPod.uid },
    pods: still.map(verdict),
    finish: { since: left.since },
  };
  if (f.expiresAt !== undefined) step.expiresAt = f.expiresAt;
  return { step,
    verdict: { ...base, status: 'finishing', reason: `${from}: ${still.length} evicted by this run's finish step` } };
}
