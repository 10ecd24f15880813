import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf, podIsReady } from '../../../scripts/shared/pods.ts';

const pod = (phase: string, ready: string | undefined, owners: V1Pod['metadata'] = {}): V1Pod => ({
  metadata: owners,
  status: { phase, conditions: ready === undefined ? [] : [{ type: 'Ready', status: ready }] },
});

test('podIsReady: Running with Ready=True, nothing else', () => {
  assert.equal(podIsReady(pod('Running', 'True')), true);
  assert.equal(podIsReady(pod('Running', 'False')), false);
  assert.equal(podIsReady(pod('Running', undefined)), false);
  assert.equal(podIsReady(pod('Succeeded', 'True')), false, 'a finished pod may keep its last condition');
  assert.equal(podIsReady({}), false);
});

test('controllerOf: the owner marked controller, not merely the first owner', () => {
  const owned = pod('Running', 'True', {
    ownerReferences: [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'u0' },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true },
    ],
  });
  assert.deepEqual(controllerOf(owned), { kind: 'ReplicaSet', name: 'web-1', uid: 'u1' });
  assert.equal(controllerOf(pod('Running', 'True')), undefined);
});
