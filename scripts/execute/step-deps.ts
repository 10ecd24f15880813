// What the executor is given: the run's configuration, the two doors to the cluster, the re-check port (to read and
// judge a node or a pod again right before acting, recheck-port.ts), the clock and sleep, progress events, and the
// signal that stops it (SIGTERM/SIGINT, or the lease lost).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { ClusterWriter, EventSpec } from '../cluster/cluster-writer.ts';
import type { Config } from '../config/config.ts';
import type { Emit } from '../log/events.ts';
import type { Recheck } from './recheck-port.ts';

export interface StepDeps {
  config: Readonly<Config>;
  reader: ClusterReader;
  writer: ClusterWriter;
  recheck: Recheck;
  now: () => number;
  /** Resolves true after `ms`, or false as soon as `signal` fires. */
  sleep: (ms: number) => Promise<boolean>;
  random: () => number;
  emit: Emit;
  event: (spec: EventSpec) => Promise<void>;
  signal: AbortSignal;
}

/** A sleep that the run's signal cuts short: true after `ms`, false as soon as `signal` fires (or had fired). */
export function abortableSleep(signal: AbortSignal): (ms: number) => Promise<boolean> {
  return (ms) => sleep(ms, true, { signal }).catch(() => false);
}
