// Which nodes a run reads again (issue 16 item 5): the pure decision from the stored facts, what the run learnt with one
// request each (the Multus pods, the service account, the JWKS, the issuer) and `now`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MultusPodFacts } from '../../../scripts/model.ts';
import type { KnownFacts, KnownNode } from '../../../scripts/scan/known-facts.ts';
import { keyIdsOf, type RereadContext, rereadVerdict } from '../../../scripts/scan/reread.ts';

const HOUR = 3600_000;
const NOW = Date.parse('2026-11-27T12:00:00Z');
const PATH = '/host/etc/cni/net.d/multus.d/multus.kubeconfig';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

const pod = (uid = 'pod-1'): MultusPodFacts => ({ namespace: 'kube-system', name: 'kube-multus-ds-a', uid,
  nodeName: 'node-a', mode: 'thin', serviceAccountName: 'multus' });

const knownNode = (over: Partial<KnownNode> = {}): KnownNode => ({ pod: 'pod-1', fingerprint: 'abcdef012345',
  via: 'exec', readAt: NOW - 10 * 60_000, exp: NOW / 1000 + 300 * 24 * 3600, iat: NOW / 1000 - 65 * 24 * 3600,
  profile: { iss: ISSUER, namespace: 'kube-system', serviceAccountName: 'multus', serviceAccountUid: 'sa-1',
    kid: 'key-1', alg: 'RS256', user: 'system:serviceaccount:kube-system:multus' }, ...over });

const known = (node: KnownNode = knownNode(), over: Partial<KnownFacts> = {}): KnownFacts => ({ path: PATH,
  issuer: ISSUER, nodes: new Map([['node-a', node]]), ...over });

const ctx = (over: Partial<RereadContext> = {}): RereadContext => ({ known: known(), now: NOW, rereadEveryMs: HOUR,
  expiringWithinMs: 24 * HOUR, path: PATH, issuer: ISSUER, keyIds: new Set(['key-1', 'key-2']), ...over });

const reason = (v: ReturnType<typeof rereadVerdict>): string | undefined => (v.read ? v.reason : undefined);

test('nothing changed since the last read, 10 minutes ago: the node is not read', () => {
  assert.deepEqual(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx()), { read: false });
});

test('the DaemonSet replaced the Multus pod (a new UID): the node is read', () => {
  assert.equal(reason(rereadVerdict('node-a', pod('pod-2'), 1, 'sa-1', ctx())), 'new Multus pod');
});

test('the service account was recreated (a new UID), or is gone: the node is read', () => {
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-2', ctx())), 'service account recreated');
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, undefined, ctx())), 'service account not found');
});

test("the token's signing key left the JWKS, or the JWKS could not be read: the node is read", () => {
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ keyIds: new Set(['key-2']) }))),
    'signing key gone from the JWKS');
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ keyIds: undefined }))), 'JWKS not readable');
  const noKid = knownNode({ profile: { ...knownNode().profile, kid: undefined } });
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ known: known(noKid) }))),
    'signing key gone from the JWKS');
});

test('the expiry entered --expiring-within since the last read: the node is read', () => {
  const soon = knownNode({ exp: (NOW + 23 * HOUR) / 1000 });
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ known: known(soon) }))),
    'expiry within --expiring-within');
  const later = knownNode({ exp: (NOW + 25 * HOUR) / 1000 });
  assert.deepEqual(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ known: known(later) })), { read: false });
});

test('the last read is --reread-every old: the node is read; 0 reads every node every run', () => {
  const old = knownNode({ readAt: NOW - HOUR });
  const v = rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ known: known(old) }));
  assert.deepEqual(v, { read: true, reason: 'periodic read (--reread-every)', flag: '--reread-every' });
  const fresh = knownNode({ readAt: NOW - HOUR + 1 });
  assert.deepEqual(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ known: known(fresh) })), { read: false });
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ rereadEveryMs: 0 }))),
    'every run (--reread-every 0)');
});

test('no facts, facts of another node, another path or issuer, or a rollout: the node is read', () => {
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ known: undefined }))),
    'no facts from an earlier run');
  assert.equal(reason(rereadVerdict('node-b', pod(), 1, 'sa-1', ctx())), 'no facts from an earlier run');
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ path: '/host/other.kubeconfig' }))),
    'kubeconfig path changed');
  assert.equal(reason(rereadVerdict('node-a', pod(), 1, 'sa-1', ctx({ issuer: 'https://new.example' }))),
    'issuer changed');
  assert.equal(reason(rereadVerdict('node-a', pod(), 2, 'sa-1', ctx())), 'several Multus pods (a rollout)');
});

test('keyIdsOf: the kids of a JWKS document; undefined for anything else', () => {
  assert.deepEqual(keyIdsOf({ keys: [{ kid: 'a' }, { kid: 'b' }, { kty: 'RSA' }] }), new Set(['a', 'b']));
  assert.equal(keyIdsOf({ nokeys: [] }), undefined);
  assert.equal(keyIdsOf(null), undefined);
});
