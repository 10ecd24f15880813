// The dependencies of a whole run (runOnce) on the in-memory cluster: its reader, writer and summary, its clock, and
// the real lease code over the fake API (with the fake clock's sleep), handed out per mode as rotate.ts does
// (runDepsFor). One definition for every run-level test; `extra` replaces any of them (a lease that records, …).
import { acquireLease, type LeaseStore } from '../../../scripts/cluster/lease.ts';
import type { Config } from '../../../scripts/config/config.ts';
import { type AllDeps, runDepsFor } from '../../../scripts/run-deps.ts';
import { type FakeCluster, testConfig } from './fake-cluster.ts';

/** The single-run lease on the fake API, waiting on the fake clock. */
export function fakeLeaseStore(c: FakeCluster): LeaseStore {
  return { acquire: (o) => acquireLease(c.kubeConfig(), { ...o, sleep: c.clock.sleeper() }) };
}

export function fakeRunDeps(c: FakeCluster, config: Partial<Config> = {}, extra: Partial<AllDeps> = {}) {
  return runDepsFor({
    config: testConfig(config),
    reader: c.reader,
    writer: c.writer,
    writeSummary: c.writeSummary,
    via: 'local' as const,
    identity: 'test',
    now: c.now,
    emit: () => undefined,
    holder: 'me',
    lease: fakeLeaseStore(c),
    ...extra,
  });
}
