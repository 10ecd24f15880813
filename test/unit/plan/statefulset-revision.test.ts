// Issue 17 item 2: a StatefulSet pod is evicted only if it would come back from the revision it runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podVerdict, type PodFilterContext } from '../../../scripts/plan/pod-filters.ts';
import { ordinalOf } from '../../../scripts/plan/statefulset-revision.ts';
import type { PodFacts, StatefulSetFacts } from '../../../scripts/model.ts';
import { makePod } from '../fixtures.ts';

const config: PodFilterContext['config'] = { dependents: 'secondary-networks', allowLocalStorage: false,
  optOutAnnotation: 'multus-token-rotator.io/skip', restartKinds: ['ReplicaSet', 'StatefulSet'] };

const set = (over: Partial<StatefulSetFacts> = {}): StatefulSetFacts => ({ namespace: 'default', name: 'db',
  uid: 'sts-db', updateStrategy: 'RollingUpdate', partition: 0, startOrdinal: 0, currentRevision: 'db-old',
  updateRevision: 'db-old', generation: 2, observedGeneration: 2, ...over });
const pod = (ordinal: number, revision = 'db-old'): PodFacts =>
  makePod({ name: `db-${ordinal}`, labels: { app: 'db', 'controller-revision-hash': revision },
    controller: { kind: 'StatefulSet', name: 'db', uid: 'sts-db' } });
const verdict = (p: PodFacts, s: StatefulSetFacts | undefined) =>
  podVerdict(p, { config, pdbs: [], statefulSets: new Map(s ? [[s.uid, s]] : []) });

describe('statefulset-revision', () => {
  it('no pending revision: restarted (RollingUpdate or OnDelete)', () => {
    assert.equal(verdict(pod(0), set()).action, 'restart');
    assert.equal(verdict(pod(2), set({ updateStrategy: 'OnDelete' })).action, 'restart');
  });
  it('OnDelete with a pending revision: manual, saying the eviction would roll out a change nobody released', () => {
    const v = verdict(pod(0), set({ updateStrategy: 'OnDelete', updateRevision: 'db-new' }));
    assert.equal(v.action, 'manual');
    assert.match(v.reason,
      /OnDelete and a pending revision: the pod runs revision db-old, and an evicted pod would come back from the update revision db-new; .*nobody released/);
  });
  it('a partition: ordinals at or above it come back from the update revision (manual); those below are restarted',
    () => {
      const staged = set({ partition: 2, updateRevision: 'db-new' });
      assert.equal(verdict(pod(1), staged).action, 'restart', 'below the partition: the current revision');
      const v = verdict(pod(2), staged);
      assert.equal(v.action, 'manual');
      assert.match(v.reason, /ordinal 2 is at or above the partition 2 .*stages a revision/);
      assert.equal(verdict(pod(2, 'db-new'), staged).action, 'restart', 'already on the update revision');
      assert.equal(verdict(pod(1), { ...staged, startOrdinal: 1 }).action, 'restart', 'spec.ordinals.start counts');
      assert.equal(verdict(pod(3), { ...staged, startOrdinal: 1 }).action, 'manual');
    });
  it('a rollout in progress (partition 0): manual, the controller replaces its pods itself', () => {
    const v = verdict(pod(0), set({ updateRevision: 'db-new' }));
    assert.equal(v.action, 'manual');
    assert.match(v.reason, /between revisions .*the next run tries again/);
  });
  it('fails closed: a set not read, unreadable, unobserved, or of an unknown strategy is never evicted', () => {
    assert.match(verdict(pod(0), undefined).reason, /was not read.*not evicted on a guess/);
    assert.match(verdict(pod(0), set({ unreadable: 'it was not found' })).reason, /it was not found/);
    assert.match(verdict(pod(0), set({ observedGeneration: 1 })).reason, /not yet observed \(generation 2/);
    assert.match(verdict(pod(0), set({ updateStrategy: 'Canary' })).reason, /update strategy Canary/);
  });
  it('without StatefulSet facts (not scanned), and for other controllers, it says nothing', () => {
    assert.equal(podVerdict(pod(0), { config, pdbs: [] }).action, 'restart');
    assert.equal(verdict(makePod(), set({ updateStrategy: 'OnDelete', updateRevision: 'db-new' })).action, 'restart');
  });
  it('the ordinal comes from the pod-index label, else from the name', () => {
    assert.equal(ordinalOf(pod(7), 'db'), 7);
    assert.equal(ordinalOf({ ...pod(7), labels: { 'apps.kubernetes.io/pod-index': '3' } }, 'db'), 3);
    assert.equal(ordinalOf({ ...pod(7), name: 'other-7' }, 'db'), undefined);
  });
});
