// The previous summary's failure streaks, read before planning (the memory between runs): a node that failed last
// time goes after the rest. A summary that cannot be read counts as none: the write at the end says what is wrong.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { Config } from '../config/config.ts';
import { FAILED_RUNS_KEY, readFailedRuns } from './failure-streaks.ts';

export async function previousFailures(reader: ClusterReader,
  config: Pick<Config, 'summaryNamespace' | 'summaryName'>): Promise<Map<string, number>> {
  const data = await reader.configMapData?.(config.summaryNamespace, config.summaryName).catch(() => undefined);
  return readFailedRuns(data?.[FAILED_RUNS_KEY]);
}
