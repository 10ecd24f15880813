// The dependencies of a whole run (runOnce) on the in-memory cluster: its reader, writer and summary, its clock, and
// the real lease code over the fake API (with the fake clock's sleep). One definition for every run-level test.
import { acquireLease } from '../../../scripts/cluster/lease.ts';
import type { Config } from '../../../scripts/config/config.ts';
import { type FakeCluster, testConfig } from './fake-cluster.ts';

export function fakeRunDeps(c: FakeCluster, config: Partial<Config> = {}) {
  return {
    config: testConfig(config),
    reader: c.reader,
    writer: c.writer,
    writeSummary: c.writeSummary,
    via: 'local' as const,
    identity: 'test',
    now: c.now,
    emit: () => undefined,
    holder: 'me',
    acquireLease: (o: Parameters<typeof acquireLease>[1]) =>
      acquireLease(c.kubeConfig(), { ...o, sleep: c.clock.sleeper() }),
  };
}
