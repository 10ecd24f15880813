// Whether a pod's labels match a metav1.LabelSelector, as the API server decides it. The selectors come from the
// cluster (a PodDisruptionBudget's), not from flags, and the planner (plan/pdb-check.ts) asks; a matcher any stage may
// need lives in shared/, not in config/, which only reads flags.
import type { LabelSelector } from '../model.ts';

/**
 * metav1.LabelSelector semantics: every matchLabels entry AND every matchExpressions requirement. An empty selector
 * ({}) matches everything. An unknown operator, In/NotIn without values, or Exists/DoesNotExist with values make the
 * selector invalid, and an invalid selector matches nothing (as the API server would refuse it). A missing selector
 * (undefined) is the caller's decision: a policy/v1 PDB with a null selector selects no pods.
 */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const get = (key: string): string | undefined => (Object.hasOwn(labels, key) ? labels[key] : undefined);
  for (const [key, want] of Object.entries(selector.matchLabels ?? {})) {
    if (get(key) !== want) {
      return false;
    }
  }
  for (const req of selector.matchExpressions ?? []) {
    const v = get(req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (values.length === 0 || v === undefined || !values.includes(v)) {
          return false;
        }
        break;
      case 'NotIn':
        if (values.length === 0 || (v !== undefined && values.includes(v))) {
          return false;
        }
        break;
      case 'Exists':
        if (values.length > 0 || v === undefined) {
          return false;
        }
        break;
      case 'DoesNotExist':
        if (values.length > 0 || v !== undefined) {
          return false;
        }
        break;
      default:
        return false;
    }
  }
  return true;
}
