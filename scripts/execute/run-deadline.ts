// Every wait of an acting run ends by the run's deadline (--deadline from the run's start), so that the Job's
// activeDeadlineSeconds (cronjob.yaml: the deadline plus time for the pod's start and the summary) never cuts a run
// mid-step. A node is only started when its --step-timeout fits before the deadline (execute-plan.ts gate), and most
// waits inside it are bounded by that step; this also bounds the fixed ones (a controller's census, 30 s) and any
// wait started late in a step.
import type { ClusterWriter } from '../cluster/cluster-writer.ts';

/** The time a wait may take: what it asks for, cut to what is left before the deadline (never negative). Pure. */
export function boundedTimeout(wantedMs: number, now: number, deadline: number): number {
  return Math.max(0, Math.min(wantedMs, deadline - now));
}

/** The same writer, whose waits end by `deadline` at the latest (a cut wait says so in what it waited for). */
export function withRunDeadline(writer: ClusterWriter, deadline: number, now: () => number): ClusterWriter {
  return {
    ...writer,
    waitForPods: (opts) => {
      const timeoutMs = boundedTimeout(opts.timeoutMs, now(), deadline);
      return writer.waitForPods(timeoutMs === opts.timeoutMs ? opts
        : { ...opts, timeoutMs, what: `${opts.what} (cut short by the run's --deadline)` });
    },
  };
}
