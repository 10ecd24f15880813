import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyNode } from '../../../scripts/classify/classify-node.ts';
import type { FileContent, FileRead, NodeScan, TokenClaims, TokenFacts } from '../../../scripts/model.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const NOW_S = NOW / 1000;
const DAY_MS = 86_400_000;
const opts = { now: NOW, expiringWithinMs: DAY_MS };

const claims = (over: Partial<TokenClaims> = {}): TokenClaims => ({
  iss: 'https://kubernetes.default.svc.cluster.local',
  sub: 'system:serviceaccount:kube-system:multus',
  iat: NOW_S - 3600,
  exp: NOW_S + 365 * 86400,
  warnafter: NOW_S,
  serviceAccountName: 'multus',
  serviceAccountUid: 'sa-1',
  podName: 'kube-multus-ds-aaaaa',
  podUid: 'pod-1',
  ...over,
});

const token = (over: Partial<TokenFacts> = {}): TokenFacts => ({
  fingerprint: 'abcdef012345',
  alg: 'RS256',
  claims: claims(),
  signature: { status: 'valid' },
  review: { status: 'authenticated', username: 'system:serviceaccount:kube-system:multus' },
  ...over,
});

const PATH = '/host/etc/cni/net.d/multus.d/multus.kubeconfig';
const READ: FileRead = { status: 'read', via: 'exec', bytes: 1500, path: PATH };

function scan(
  over: { mode?: 'thin' | 'thick' | 'thin-token-watch'; file?: FileRead; content?: FileContent | null;
    token?: TokenFacts; serviceAccountUid?: string | null } = {},
): NodeScan {
  const s: NodeScan = {
    node: 'worker-1',
    multusPod: {
      namespace: 'kube-system',
      name: 'kube-multus-ds-aaaaa',
      uid: 'pod-1',
      nodeName: 'worker-1',
      mode: over.mode ?? 'thin',
      serviceAccountName: 'multus',
    },
    file: over.file ?? READ,
  };
  if (over.content !== null) s.content = over.content ?? { status: 'token', token: over.token ?? token() };
  if (over.serviceAccountUid !== null) s.serviceAccountUid = over.serviceAccountUid ?? 'sa-1';
  return s;
}

test('each rule, in order, with a reason a person can act on', () => {
  const cases: [string, NodeScan, string, RegExp][] = [
    ['thick', scan({ mode: 'thick', content: { status: 'malformed', reason: 'x' } }), 'self-refreshing',
      /thick plugin/],
    ['token watch', scan({ mode: 'thin-token-watch' }), 'self-refreshing', /token watch/],
    ['unreadable', scan({ file: { status: 'unreadable', reason: 'exec: cat not found', path: PATH }, content: null }),
      'unreadable', new RegExp(`${PATH} in pod kube-multus-ds-aaaaa could not be read: exec: cat not found`)],
    ['read, no content', scan({ content: null }), 'unreadable', /content was not recorded/],
    ['malformed', scan({ content: { status: 'malformed', reason: 'the kubeconfig has no users' } }), 'invalid',
      /^the kubeconfig on the node is malformed: the kubeconfig has no users; restarting the Multus pod rewrites it$/],
    ['expired beats invalid signature',
      scan({ token: token({ claims: claims({ exp: NOW_S - 7200 }), signature: { status: 'invalid', reason: 'x' } }) }),
      'expired', /expired at 2025-12-31T22:00:00Z \(2h ago\)/],
    ['expired exactly now', scan({ token: token({ claims: claims({ exp: NOW_S }) }) }), 'expired',
      /expired at 2026-01-01T00:00:00Z/],
    ['bad signature', scan({
      token: token({
        signature: { status: 'invalid', reason: 'the signature of the token abcdef012345 does not verify' },
      }),
    }), 'invalid', /^the signature of the token abcdef012345 does not verify; restarting/],
    ['review rejected',
      scan({ token: token({ review: { status: 'rejected', reason: 'service account token has been invalidated' } }) }),
      'invalid', /the API server rejects the token abcdef012345: service account token has been invalidated/],
    ['bound to another pod',
      scan({ token: token({ claims: claims({ podName: 'kube-multus-ds-old', podUid: 'pod-0' }) }) }), 'invalid',
      /bound to pod kube-multus-ds-old \(uid pod-0\), not to this node's Multus pod kube-multus-ds-aaaaa \(uid pod-1\)/],
    ['token of another service account',
      scan({ token: token({ claims: claims({ serviceAccountName: 'other', serviceAccountUid: 'sa-9' }) }) }), 'invalid',
      /belongs to service account kube-system\/other, not to the Multus pod's service account kube-system\/multus/],
    ['pod-bound token without expiry', scan({ token: token({ claims: claims({ exp: undefined }) }) }), 'legacy',
      /bound to pod .* but has no expiry/],
    ['service account recreated', scan({ token: token({ claims: claims({ serviceAccountUid: 'sa-0' }) }) }), 'invalid',
      /service account multus with uid sa-0, but that service account was recreated \(uid now sa-1\)/],
    ['legacy', scan({
      token: token({ claims: claims({ exp: undefined, podUid: undefined, iss: 'kubernetes/serviceaccount' }) }),
    }), 'legacy', /^legacy token without expiry/],
    ['expiring', scan({ token: token({ claims: claims({ exp: NOW_S + 3 * 3600 }) }) }), 'expiring',
      /expires at 2026-01-01T03:00:00Z, in 3h \(less than the 1d of --expiring-within\)/],
    ['healthy', scan({ token: token({ claims: claims({ exp: NOW_S + 365 * 86400 - 1 }) }) }), 'healthy',
      /valid for another 364d 23h \(until 2026-12-31T23:59:59Z\)/],
  ];
  for (const [name, s, cls, reason] of cases) {
    const f = classifyNode(s, opts);
    assert.equal(f.class, cls, name);
    assert.match(f.reason, reason, name);
    assert.deepEqual(f.multusPod, { namespace: 'kube-system', name: 'kube-multus-ds-aaaaa', uid: 'pod-1' }, name);
    assert.equal(f.node, 'worker-1');
  }
});

test('signature and review that could not be checked do not condemn a token', () => {
  const s = scan({
    token: token({ signature: { status: 'unchecked', reason: 'no JWKS' },
      review: { status: 'unchecked', reason: 'forbidden' } }),
  });
  assert.equal(classifyNode(s, opts).class, 'healthy');
});

test('the service-account check needs both uids', () => {
  assert.equal(
    classifyNode(scan({ serviceAccountUid: null, token: token({ claims: claims({ serviceAccountUid: 'sa-0' }) }) }),
      opts).class,
    'healthy',
  );
  assert.equal(classifyNode(scan({ token: token({ claims: claims({ serviceAccountUid: undefined }) }) }), opts).class,
    'healthy');
});

test('a token without a pod binding is not judged by pod uid', () => {
  assert.equal(
    classifyNode(scan({ token: token({ claims: claims({ podUid: undefined, podName: undefined }) }) }), opts).class,
    'healthy',
  );
});

test('the expiring threshold is strict and follows the option', () => {
  const exactly = scan({ token: token({ claims: claims({ exp: NOW_S + 86400 }) }) });
  assert.equal(classifyNode(exactly, opts).class, 'healthy');
  assert.equal(classifyNode(exactly, { now: NOW, expiringWithinMs: DAY_MS + 1000 }).class, 'expiring');
  assert.equal(classifyNode(exactly, { now: NOW, expiringWithinMs: 0 }).class, 'healthy');
});

test('the finding carries fingerprint, expiry (ms), time left, claims and how the file was read', () => {
  const c = claims({ exp: NOW_S + 7200 });
  const f = classifyNode(scan({ file: { ...READ, via: 'reader-pod' }, token: token({ claims: c }) }), opts);
  assert.equal(f.fingerprint, 'abcdef012345');
  assert.equal(f.expiresAt, NOW + 7_200_000, 'the JWT exp, in milliseconds from here on');
  assert.equal(f.timeLeftMs, 7_200_000);
  assert.deepEqual(f.claims, c);
  assert.equal(f.readVia, 'reader-pod');
  const expired = classifyNode(scan({ token: token({ claims: claims({ exp: NOW_S - 60 }) }) }), opts);
  assert.equal(expired.timeLeftMs, -60_000);
  const unreadable = classifyNode(
    scan({ file: { status: 'unreadable', reason: 'timeout', path: PATH }, content: null }),
    opts,
  );
  assert.equal(unreadable.readVia, undefined);
  assert.equal(unreadable.fingerprint, undefined);
  const malformed = classifyNode(scan({ content: { status: 'malformed', reason: 'x' } }), opts);
  assert.equal(malformed.readVia, 'exec');
});

test('classifyNode does not read the clock: the same input gives the same answer', () => {
  const s = scan({ token: token({ claims: claims({ exp: NOW_S + 3600 }) }) });
  assert.deepEqual(classifyNode(s, opts), classifyNode(s, opts));
  assert.equal(classifyNode(s, { now: NOW + 2 * 3600_000, expiringWithinMs: DAY_MS }).class, 'expired');
});

test('issuer migration: a token of an older issuer that TokenReview accepts is not invalid; rejected, it is', () => {
  const sig = { status: 'invalid' as const,
    reason: 'the token abcdef012345 was issued by "https://old.example", not by this cluster\'s issuer "x"',
    otherIssuer: 'https://old.example' };
  const accepted = classifyNode(scan({ token: token({ signature: sig }) }), opts);
  assert.equal(accepted.class, 'healthy', accepted.reason);
  assert.match(accepted.reason, /issued by "https:\/\/old.example".*accepted by the API server/);
  const rejected = classifyNode(
    scan({ token: token({ signature: sig, review: { status: 'rejected', reason: 'invalid bearer token' } }) }),
    opts,
  );
  assert.equal(rejected.class, 'invalid');
  const unchecked = classifyNode(
    scan({ token: token({ signature: sig, review: { status: 'unchecked', reason: 'forbidden' } }) }),
    opts,
  );
  assert.equal(unchecked.class, 'invalid', "without the API server's word, a foreign issuer stays invalid");
});

test('TokenReview wins: a key id the JWKS lacks (even read again) is not invalid when the API server accepts the token',
  () => {
    const sig = { status: 'invalid' as const, unknownKey: true as const,
      reason: 'no key of the cluster\'s JWKS matches the token abcdef012345 (RS256, kid "new")' };
    const accepted = classifyNode(scan({ token: token({ signature: sig }) }), opts);
    assert.equal(accepted.class, 'healthy', accepted.reason);
    assert.match(accepted.reason, /key id is not in the cluster's JWKS.*TokenReview wins/);
    for (const review of [{ status: 'rejected' as const, reason: 'invalid bearer token' }, {
      status: 'unchecked' as const,
      reason: 'forbidden',
    }]) {
      const f = classifyNode(scan({ token: token({ signature: sig, review }) }), opts);
      assert.equal(f.class, 'invalid', `TokenReview ${review.status}: the unknown key stands`);
    }
    const forged = classifyNode(
      scan({
        token: token({
          signature: { status: 'invalid',
            reason: "the signature of the token abcdef012345 does not verify against the cluster's key" },
        }),
      }),
      opts,
    );
    assert.equal(forged.class, 'invalid', 'a known key whose signature does not verify stays invalid');
  });

test('a kubeconfig without a literal token is its own class, never acted on (not invalid)', () => {
  const f = classifyNode(
    scan({
      content: { status: 'external-credentials', kind: 'client-certificate',
        reason: 'the kubeconfig\'s user "multus" authenticates with a client certificate, not a token' },
    }),
    opts,
  );
  assert.equal(f.class, 'external-credentials', f.reason);
  assert.match(f.reason, /client certificate, not a token: .*nothing to judge or rotate; never acted on/);
});
