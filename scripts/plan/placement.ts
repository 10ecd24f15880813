// Where could the scheduler put a pod's replacement? Pure: the pod's placement facts (nodeSelector, required node
// affinity, the node affinity of its volumes) against the nodes' labels. Taints, resources and pod affinity are not
// judged: this only answers "is there any other node at all", to keep a pod pinned to a cordoned node from being
// evicted into Pending.
import type { LabelSelectorRequirement, NodeFacts, NodeSelectorTermFacts, PodFacts } from '../model.ts';

function requirementHolds(r: LabelSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false; // an operator the API server would have refused: fits nothing
  }
}

/** A term with no requirement matches no node, as in the scheduler. */
export function termMatches(term: NodeSelectorTermFacts, node: NodeFacts): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return exprs.every((r) => requirementHolds(r, node.labels?.[r.key])) &&
    fields.every((r) => requirementHolds(r, r.key === 'metadata.name' ? node.name : undefined));
}

/** Whether the pod's placement admits the node. A claim whose volume was not looked up admits nothing. */
export function fits(pod: PodFacts, node: NodeFacts): boolean {
  const p = pod.placement;
  if (!p) return true;
  if (p.nodeSelector && Object.entries(p.nodeSelector).some(([k, v]) => node.labels?.[k] !== v)) return false;
  if (p.requiredTerms && p.requiredTerms.length > 0 && !p.requiredTerms.some((t) => termMatches(t, node))) return false;
  for (const c of p.claims ?? []) {
    if (c.terms === undefined) return false;
    if (c.terms.length > 0 && !c.terms.some((t) => termMatches(t, node))) return false;
  }
  return true;
}

/**
 * When the pod's node is cordoned and no other Ready, schedulable node fits the pod: what pins it there, in words.
 * Undefined when the node is schedulable, the pod has no placement constraint, or another node would take it.
 */
export function pinnedToCordonedNode(pod: PodFacts, nodes: ReadonlyMap<string, NodeFacts>): string | undefined {
  const here = nodes.get(pod.nodeName);
  const p = pod.placement;
  if (!here?.unschedulable || !p) return undefined;
  for (const n of nodes.values()) {
    if (n.name !== here.name && n.ready && !n.unschedulable && fits(pod, n)) return undefined;
  }
  const why: string[] = [];
  if (p.nodeSelector && Object.keys(p.nodeSelector).length > 0) {
    why.push(`nodeSelector ${Object.entries(p.nodeSelector).map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
  if (p.requiredTerms && p.requiredTerms.length > 0) why.push('required node affinity');
  for (const c of p.claims ?? []) {
    if (c.terms === undefined) why.push(`claim ${c.name}, whose volume's node affinity could not be read`);
    else if (c.terms.length > 0) why.push(`the local PersistentVolume of claim ${c.name}`);
  }
  if (why.length === 0) return undefined; // nothing pins it: no node at all is schedulable, which is not this pod's case
  return why.join(', ');
}
