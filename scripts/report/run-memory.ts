// What a run leaves the next in its summary ConfigMap, read before planning (the memory between runs): failure streaks
// (a node that failed last time goes after the rest), the dependents it left (report/left-work.ts: the next run
// finishes them), and how long its nodes took (report/node-times.ts: pacing's node time). A summary that cannot be
// read counts as empty: the write at the end says what is wrong.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { Config } from '../config/config.ts';
import { formatDuration } from '../shared/durations.ts';
import type { LeftNode } from '../model.ts';
import { FAILED_RUNS_KEY, readFailedRuns } from './failure-streaks.ts';
import { LEFT_WORK_KEY, readLeftWork } from './left-work.ts';
import { measuredNodeTime, NODE_TIMES_KEY, readNodeTimes, type NodeTimeSample } from './node-times.ts';

export interface RunMemory {
  failedRuns: Map<string, number>;
  leftWork: Map<string, LeftNode>;
  nodeTimes: NodeTimeSample[];
}

export async function readRunMemory(reader: ClusterReader,
  config: Pick<Config, 'summaryNamespace' | 'summaryName'>): Promise<RunMemory> {
  const data = await reader.configMapData?.(config.summaryNamespace, config.summaryName).catch(() => undefined);
  return { failedRuns: readFailedRuns(data?.[FAILED_RUNS_KEY]), leftWork: readLeftWork(data?.[LEFT_WORK_KEY]),
    nodeTimes: readNodeTimes(data?.[NODE_TIMES_KEY]) };
}

/**
 * Pacing's time for one node, and where it comes from: --node-time when given; else what earlier runs measured (the
 * 90th percentile of the newest samples); else, before any run measured one, the --step-timeout (an upper bound). Pure.
 */
export function pacingNodeTime(config: Pick<Config, 'nodeTimeMs' | 'stepTimeoutMs'>,
  samples: readonly NodeTimeSample[]): { nodeTimeMs: number; nodeTimeFrom: string } {
  if (config.nodeTimeMs !== undefined) return { nodeTimeMs: config.nodeTimeMs, nodeTimeFrom: '--node-time' };
  const measured = measuredNodeTime(samples);
  if (measured !== undefined) {
    return { nodeTimeMs: measured.ms, nodeTimeFrom: `measured: the 90th percentile of the last ${measured.samples} ` +
      `node(s) rotated (${formatDuration(measured.ms)})` };
  }
  return { nodeTimeMs: config.stepTimeoutMs, nodeTimeFrom: 'the --step-timeout: no run has measured a node yet' };
}
