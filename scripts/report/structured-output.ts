// `-o json|yaml`: the run's result for a program rather than a person, with a stable key order so that two runs
// can be diffed and a consumer does not depend on how the objects were built.
import { stringify } from 'yaml';

/** A copy with object keys sorted at every level, so that output does not depend on construction order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) {
        out[key] = sortKeys(v);
      }
    }
    return out;
  }
  return value;
}

/** `-o json`: indented, keys sorted, newline-terminated. */
export function renderJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

/** `-o yaml`: keys sorted, no line folding. */
export function renderYaml(value: unknown): string {
  return stringify(sortKeys(value), { lineWidth: 0 });
}
