// Issue 10 item 7: what the API server grants, judged from the tokens found; what "fresh" means after a restart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshAfterRestart, grantOf, observedGrant } from '../../../scripts/classify/token-grant.ts';
import type { TokenClaims } from '../../../scripts/model.ts';
import { NOW, makeFinding } from '../fixtures.ts';

const S = Math.floor(NOW / 1000);
const bound = (over: Partial<TokenClaims> = {}): TokenClaims => ({ podName: 'kube-multus-ds-x', podUid: 'uid-new',
  iat: S - 60, exp: S - 60 + 3607, ...over });
const EXTENDED = { warnafter: S - 60 + 3607, exp: S - 60 + 365 * 86400 };

describe('grantOf', () => {
  it('a pod-bound token of 3600-3607 s without warnafter was not extended; with warnafter it was', () => {
    assert.equal(grantOf(bound()), 'not-extended');
    assert.equal(grantOf(bound({ exp: S - 60 + 3600 })), 'not-extended', '--service-account-max-token-expiration=1h');
    assert.equal(grantOf(bound(EXTENDED)), 'extended');
  });
  it('says nothing of tokens that are not pod-bound, or of other lifetimes', () => {
    assert.equal(grantOf(bound({ podUid: undefined })), undefined);
    assert.equal(grantOf(bound({ exp: S + 3 * 3600 })), undefined, 'a custom 3 h token (kubectl create token)');
    assert.equal(grantOf(bound({ iat: undefined })), undefined);
    assert.equal(grantOf(undefined), undefined);
  });
});

describe('observedGrant', () => {
  it('the most recently issued token decides (a cluster reconfigured since shows it)', () => {
    const oldShort = makeFinding({ node: 'a', claims: bound({ iat: S - 7200, exp: S - 7200 + 3607 }) });
    const newLong = makeFinding({ node: 'b', claims: bound({ iat: S - 60, ...EXTENDED }) });
    assert.equal(observedGrant([oldShort, newLong])?.grant, 'extended');
    const newShort = makeFinding({ node: 'c', claims: bound({ iat: S - 10, exp: S - 10 + 3607 }) });
    assert.deepEqual(observedGrant([oldShort, newLong, newShort]), { grant: 'not-extended', node: 'c',
      fingerprint: '0123456789ab', iat: S - 10, lifetimeS: 3607 });
  });
  it('a token the cluster did not sign is no evidence', () => {
    const forged = makeFinding({ node: 'f', signature: 'invalid', review: 'rejected', claims: bound({ iat: S }) });
    assert.equal(observedGrant([forged]), undefined);
  });
});

describe('freshAfterRestart', () => {
  const after = (over: Parameters<typeof makeFinding>[0] = {}) =>
    makeFinding({ class: 'healthy', review: 'authenticated', signature: 'valid', claims: bound(EXTENDED), ...over });
  it('bound to the new pod, accepted, extended: fresh, even when --expiring-within is longer than the grant', () => {
    assert.deepEqual(freshAfterRestart(after(), 'uid-new'), { fresh: true });
    assert.deepEqual(freshAfterRestart(after({ class: 'expiring' }), 'uid-new'), { fresh: true });
  });
  it('a token the API server did not extend is not fresh, and says why', () => {
    const r = freshAfterRestart(after({ class: 'expiring', claims: bound() }), 'uid-new');
    assert.equal(r.fresh, false);
    if (!r.fresh) assert.match(r.reason, /lives only 1h: the API server does not extend service-account tokens/);
  });
  it('bound to another pod, not accepted by TokenReview, or invalid: not fresh', () => {
    assert.match(JSON.stringify(freshAfterRestart(after(), 'uid-other')),
      /not to the new Multus pod \(uid uid-other\)/);
    assert.match(JSON.stringify(freshAfterRestart(after({ review: 'unchecked' }), 'uid-new')),
      /TokenReview: unchecked/);
    assert.equal(freshAfterRestart(after({ class: 'invalid' }), 'uid-new').fresh, false);
    assert.equal(freshAfterRestart(after({ class: 'unreadable', claims: undefined }), 'uid-new').fresh, false);
  });
});
