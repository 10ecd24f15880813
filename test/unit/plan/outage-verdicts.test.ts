import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { outageVerdicts, STUCK_REASON, UNTOUCHED_REASON,
  WAITING_REASON } from '../../../scripts/plan/outage-verdicts.ts';
import { NOW, makePod } from '../fixtures.ts';

const unauthorized = { message: 'plugin type="multus" name="multus-cni-network" failed (add): error getting pod: ' +
  'Unauthorized', at: NOW, count: 3, unauthorized: true };

describe('outageVerdicts', () => {
  it('a Running pod is untouched (ADD/DEL only); a ContainerCreating pod with Unauthorized is stuck', () => {
    const verdicts = outageVerdicts([
      makePod({ name: 'b-running' }),
      makePod({ name: 'a-stuck', phase: 'Pending', ready: false, waiting: 'ContainerCreating',
        sandboxFailure: unauthorized }),
      makePod({ name: 'c-pulling', phase: 'Pending', ready: false, waiting: 'ContainerCreating',
        sandboxFailure: { ...unauthorized, message: 'failed to pull image', unauthorized: false } }),
      makePod({ name: 'd-host', hostNetwork: true }),
      makePod({ name: 'e-done', phase: 'Succeeded' }),
    ]);
    assert.deepEqual(verdicts.map((v) => [v.name, v.effect, v.reason]), [
      ['a-stuck', 'stuck', STUCK_REASON],
      ['b-running', 'untouched', UNTOUCHED_REASON],
      ['c-pulling', 'waiting', WAITING_REASON],
    ]);
    assert.match(UNTOUCHED_REASON, /only in CNI ADD and DEL/);
    assert.equal(verdicts[0]?.sandboxFailure?.count, 3);
  });
});
