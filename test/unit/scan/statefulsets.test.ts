// The dependents' StatefulSets, read once each; a set that cannot be read is kept with why (its pods stay put).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, type V1StatefulSet } from '@kubernetes/client-node';
import type { ClusterReader } from '../../../scripts/cluster/cluster-reader.ts';
import { scanStatefulSets } from '../../../scripts/scan/statefulsets.ts';
import { makePod } from '../fixtures.ts';

const owned = (name: string, uid: string) =>
  makePod({ name: `${name}-0`, controller: { kind: 'StatefulSet', name, uid } });

test('one read per StatefulSet; its strategy, partition and revisions; failures kept with why', async () => {
  const reads: string[] = [];
  const sets: Record<string, V1StatefulSet | Error | undefined> = {
    db: { metadata: { name: 'db', namespace: 'default', uid: 'sts-db', generation: 3 },
      spec: { selector: {}, serviceName: 'db', template: {}, ordinals: { start: 1 },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      status: { replicas: 3, observedGeneration: 3, currentRevision: 'db-a', updateRevision: 'db-b' } },
    recreated: { metadata: { name: 'recreated', namespace: 'default', uid: 'another-uid' } },
    denied: new ApiException(403, 'forbidden', '{"kind":"Status","code":403,"message":"forbidden"}', {}),
  };
  const reader = {
    statefulSet: async (_ns: string, name: string) => {
      reads.push(name);
      const s = sets[name];
      if (s instanceof Error) throw s;
      return s;
    },
  } as unknown as ClusterReader;
  const facts = await scanStatefulSets(reader, [owned('db', 'sts-db'), { ...owned('db', 'sts-db'), name: 'db-1' },
    owned('gone', 'sts-gone'), owned('recreated', 'sts-recreated'), owned('denied', 'sts-denied'), makePod()]);
  assert.deepEqual(reads.sort(), ['db', 'denied', 'gone', 'recreated']);
  const by = new Map(facts.map((f) => [f.name, f]));
  assert.deepEqual(by.get('db'), { namespace: 'default', name: 'db', uid: 'sts-db', updateStrategy: 'RollingUpdate',
    partition: 2, startOrdinal: 1, generation: 3, observedGeneration: 3, currentRevision: 'db-a',
    updateRevision: 'db-b' });
  assert.match(by.get('gone')?.unreadable ?? '', /not found/);
  assert.match(by.get('recreated')?.unreadable ?? '', /recreated/);
  assert.match(by.get('denied')?.unreadable ?? '', /could not be read .*grant get on statefulsets/);
  const without = await scanStatefulSets({} as ClusterReader, [owned('db', 'sts-db')]);
  assert.match(without[0]?.unreadable ?? '', /cannot read StatefulSets/);
});
