// Repair waves: the broken nodes of a plan, in plan order, cut into groups of --repair-wave-size that the executor
// restarts in parallel. Pure.
import type { NodeStep } from '../model.ts';

/** The indices (into `steps`) of the repair steps, in waves of at most `size`; preventive steps are not in any. */
export function planWaves(steps: readonly NodeStep[], size: number): number[][] {
  const repair = steps.flatMap((s, i) => (s.repair ? [i] : []));
  const waves: number[][] = [];
  for (let i = 0; i < repair.length; i += Math.max(1, size)) waves.push(repair.slice(i, i + Math.max(1, size)));
  return waves;
}

/**
 * Whether a wave's failures look systematic (an image that cannot be pulled, a broken DaemonSet): most of its nodes
 * failed. A single failing node is the node's problem, never the run's: a wave of one never stops the run.
 */
export function waveStopsRun(attempted: number, failed: number): boolean {
  return failed >= 2 && failed * 2 > attempted;
}
