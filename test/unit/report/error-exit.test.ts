// One mapping from a thrown error to the run's exit code, for a run whose acting could not start (run-once.ts) and
// for one that ended on an error (rotate.ts): issue 20 item 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuardRailsMissing } from '../../../scripts/execute/guard-rails.ts';
import { errorKind, exitCodeForError } from '../../../scripts/report/error-exit.ts';
import { EXIT } from '../../../scripts/report/exit-codes.ts';

const api = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

test('the cluster refused, could not be reached or its certificate did not verify: CLUSTER', () => {
  assert.equal(errorKind(api(403)), 'refused');
  assert.equal(errorKind(api(401)), 'refused');
  assert.equal(errorKind(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })),
    'unreachable');
  assert.equal(
    errorKind(
      new Error('fetch failed', {
        cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      }),
    ),
    'certificate',
  );
  for (const err of [api(403), api(401), new Error('socket hang up')]) {
    assert.equal(exitCodeForError(err), EXIT.CLUSTER);
  }
});

test("the lease's wrapped error is judged by its cause; missing guard rails are the cluster's setup", () => {
  const wrapped = new Error('reading the lease failed (HTTP 403): forbidden', { cause: api(403) });
  assert.equal(exitCodeForError(wrapped), EXIT.CLUSTER);
  assert.equal(exitCodeForError(new GuardRailsMissing('the ValidatingAdmissionPolicy is missing')), EXIT.CLUSTER);
});

test('anything else is unexpected: ERROR', () => {
  assert.equal(errorKind(new TypeError('x is undefined')), 'unexpected');
  assert.equal(exitCodeForError(api(500)), EXIT.ERROR);
  assert.equal(exitCodeForError('a string'), EXIT.ERROR);
});
