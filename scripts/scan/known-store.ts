// Where the facts of the last reads live between runs: a ConfigMap of their own beside the summary (`<summary>-facts`,
// key nodes.json), so that the summary's 1 MiB stays the summary's (measured, test/unit/scan/known-facts.test.ts:
// 142 bytes a node with EKS-style node names, 0.7 MB at 5,000 nodes, which would not fit beside the summary).
// Reading them costs one GET; writing, one GET and one PUT, and only when they changed. Neither can fail a run:
// facts that cannot be read make this run read every node, facts that cannot be written make the next one do so.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import { describeError, isForbidden } from '../cluster/api-errors.ts';
import type { BuildData, ConfigMapComponent } from '../cluster/summary-store.ts';
import type { Emit } from '../log/events.ts';
import type { Config } from '../config/config.ts';
import type { Millis, NodeFinding } from '../model.ts';
import type { NodesScan } from './scan-nodes.ts';
import { decodeKnownFacts, encodeKnownFacts, FACTS_KEY, type KnownFacts, knownFromScan } from './known-facts.ts';

/** The facts ConfigMap's name, from the summary's. */
export const factsName = (summaryName: string): string => `${summaryName}-facts`;

export interface LoadedFacts {
  facts?: KnownFacts;
  /** The stored text, to skip a write that changes nothing. */
  text?: string;
}

export async function loadKnownFacts(reader: ClusterReader, namespace: string, summaryName: string,
  emit: Emit): Promise<LoadedFacts> {
  if (reader.configMapData === undefined) return {};
  const name = factsName(summaryName);
  let data: Record<string, string> | undefined;
  try {
    data = await reader.configMapData(namespace, name);
  } catch (err) {
    // Not granted: the run goes on reading every node. Anything else (no connection, 401) is the run's first
    // request failing, and stops it as any other would.
    if (!isForbidden(err)) throw err;
    emit({ type: 'warning', message: `the facts of the last reads (ConfigMap ${namespace}/${name}) could not be ` +
      'read, so every node is read: grant get on this ConfigMap (rbac.yaml)' });
    return {};
  }
  const text = data?.[FACTS_KEY];
  const { facts, problem } = decodeKnownFacts(text);
  if (problem !== undefined) {
    emit({ type: 'warning', message: `ConfigMap ${namespace}/${name}: ${problem}; every node is read, and the ` +
      'facts are written anew' });
  }
  return { ...(facts === undefined ? {} : { facts }), ...(text === undefined ? {} : { text }) };
}

/** Keeps this run's facts (only when they changed); a failed write is a warning. */
export async function saveKnownFacts(
  write: (namespace: string, name: string, build: BuildData, component: ConfigMapComponent) => Promise<void>,
  config: Pick<Config, 'summaryNamespace' | 'summaryName' | 'kubeconfigPath'>,
  scanned: NodesScan,
  findings: readonly NodeFinding[],
  loaded: LoadedFacts,
  now: Millis,
  emit: Emit,
): Promise<void> {
  const issuer = scanned.context.issuer;
  const facts = knownFromScan(scanned.nodes, findings, loaded.facts, { path: config.kubeconfigPath, now,
    ...(issuer === undefined ? {} : { issuer }) });
  const text = encodeKnownFacts(facts);
  if (text === loaded.text) return;
  const namespace = config.summaryNamespace;
  const name = factsName(config.summaryName);
  try {
    await write(namespace, name, () => ({ [FACTS_KEY]: text }), 'facts');
  } catch (err) {
    const fix = isForbidden(err) ? 'grant create, get and update on this ConfigMap (rbac.yaml)' : describeError(err);
    emit({ type: 'warning', message: `the facts of this run's reads (ConfigMap ${namespace}/${name}) could ` +
      `not be written, so the next run reads every node: ${fix}` });
  }
}
