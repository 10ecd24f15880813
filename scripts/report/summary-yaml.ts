// Reading back what an earlier run wrote into the summary ConfigMap (failed-runs.yaml, left-work.yaml,
// node-times.yaml). A person may have edited it: text that is not valid YAML, or not the shape expected, reads as
// nothing, and each reader drops the entries it cannot use. Pure.
import { parseDocument } from 'yaml';

/** The YAML document's value, or undefined when there is no text or it does not parse. */
function yamlValue(text: string | undefined): unknown {
  if (!text) return undefined;
  const doc = parseDocument(text);
  return doc.errors.length > 0 ? undefined : doc.toJS();
}

/** A YAML mapping's entries; [] for anything else. */
export function yamlEntries(text: string | undefined): [string, unknown][] {
  const value = yamlValue(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.entries(value as Record<string, unknown>) : [];
}

/** A YAML sequence's items; [] for anything else. */
export function yamlItems(text: string | undefined): unknown[] {
  const value = yamlValue(text);
  return Array.isArray(value) ? value as unknown[] : [];
}
