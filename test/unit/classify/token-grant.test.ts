// Issue 17 item 3: the one rule for token lifetimes, judged per node from its own token: a fresh token must not
// already be inside --expiring-within by the next run; and what "fresh" means after a restart (the same rule).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshAfterRestart, grantedLifetimeMs, shortGrant,
  tooShortForCadence } from '../../../scripts/classify/token-grant.ts';
import type { TokenClaims } from '../../../scripts/model.ts';
import { HOUR, NOW, makeFinding } from '../fixtures.ts';

const S = Math.floor(NOW / 1000);
const CADENCE = { expiringWithinMs: 24 * HOUR, intervalMs: HOUR };
const bound = (over: Partial<TokenClaims> = {}): TokenClaims => ({ podName: 'kube-multus-ds-x', podUid: 'uid-new',
  iat: S - 60, exp: S - 60 + 3607, ...over });
const EXTENDED = { warnafter: S - 60 + 3607, exp: S - 60 + 365 * 86400 };
const lived = (seconds: number) => bound({ exp: S - 60 + seconds });

describe('grantedLifetimeMs', () => {
  it('exp − iat of a pod-bound token, in ms; nothing for tokens that do not say', () => {
    assert.equal(grantedLifetimeMs(bound()), 3607 * 1000);
    assert.equal(grantedLifetimeMs(bound(EXTENDED)), 365 * 86400 * 1000);
    assert.equal(grantedLifetimeMs(bound({ podUid: undefined })), undefined);
    assert.equal(grantedLifetimeMs(bound({ iat: undefined })), undefined);
    assert.equal(grantedLifetimeMs(undefined), undefined);
  });
});

describe('tooShortForCadence: one rule', () => {
  it('a fresh token that would be inside --expiring-within by the next run is too short, whatever its lifetime', () => {
    for (const [seconds, short] of [[3600, true], [3607, true], [90 * 60, true], [12 * 3600, true], [25 * 3600 - 1,
      true], [25 * 3600, false], [48 * 3600, false], [365 * 86400, false]] as const) {
      assert.equal(tooShortForCadence(seconds * 1000, CADENCE), short, `${seconds} s`);
    }
    // A shorter --expiring-within lets a 12 h grant be rotated (every 8 h or so); a shorter interval a 90 min one.
    assert.equal(tooShortForCadence(12 * HOUR, { expiringWithinMs: 4 * HOUR, intervalMs: HOUR }), false);
    assert.equal(tooShortForCadence(90 * 60_000, { expiringWithinMs: 30 * 60_000, intervalMs: 15 * 60_000 }), false);
  });
});

describe('shortGrant: per node, from its own token', () => {
  it('judges each node by its own token, not by the fleet: a 1 year node beside a 12 h node is not deferred', () => {
    const twelve = makeFinding({ node: 'a', class: 'expiring', signature: 'valid', review: 'authenticated',
      claims: lived(12 * 3600) });
    const year = makeFinding({ node: 'b', class: 'expiring', signature: 'valid', review: 'authenticated',
      claims: bound(EXTENDED) });
    assert.equal(shortGrant(twelve, CADENCE)?.lifetimeMs, 12 * HOUR);
    assert.equal(shortGrant(year, CADENCE), undefined);
  });
  it('a token the cluster did not sign is no evidence of the grant', () => {
    const forged = makeFinding({ node: 'f', signature: 'invalid', review: 'rejected', claims: bound() });
    assert.equal(shortGrant(forged, CADENCE), undefined);
    const rejectedButOurs = makeFinding({ node: 'g', signature: 'valid', review: 'rejected', claims: bound() });
    assert.equal(shortGrant(rejectedButOurs, CADENCE)?.lifetimeMs, 3607 * 1000,
      'an expired 1 h token of this cluster is');
  });
});

describe('freshAfterRestart', () => {
  const after = (over: Parameters<typeof makeFinding>[0] = {}) =>
    makeFinding({ class: 'healthy', review: 'authenticated', signature: 'valid', claims: bound(EXTENDED), ...over });
  it('bound to the new pod, accepted, granted long enough for the cadence: fresh', () => {
    assert.deepEqual(freshAfterRestart(after(), 'uid-new', CADENCE), { fresh: true });
    assert.deepEqual(freshAfterRestart(after({ class: 'expiring' }), 'uid-new', CADENCE), { fresh: true });
  });
  it('a new token granted too short for the cadence (1 h, or 12 h) is not fresh, and says why', () => {
    for (const seconds of [3607, 12 * 3600]) {
      const r = freshAfterRestart(after({ class: 'expiring', claims: lived(seconds) }), 'uid-new', CADENCE);
      assert.equal(r.fresh, false);
      if (!r.fresh) {
        assert.match(r.reason,
          /was granted only \d+h: it would already be inside --expiring-within \(1d\) by the next/);
        assert.match(r.reason, /--service-account-extend-token-expiration=true/);
      }
    }
  });
  it('bound to another pod, not accepted by TokenReview, or invalid: not fresh', () => {
    assert.match(JSON.stringify(freshAfterRestart(after(), 'uid-other', CADENCE)),
      /not to the new Multus pod \(uid uid-other\)/);
    assert.match(JSON.stringify(freshAfterRestart(after({ review: 'unchecked' }), 'uid-new', CADENCE)),
      /TokenReview: unchecked/);
    assert.equal(freshAfterRestart(after({ class: 'invalid' }), 'uid-new', CADENCE).fresh, false);
    assert.equal(freshAfterRestart(after({ class: 'unreadable', claims: undefined }), 'uid-new', CADENCE).fresh, false);
  });
});
