import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { fingerprint, inspectToken, verifySignature } from '../../../scripts/scan/inspect-token.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z

/** The claims the API server puts in a pod-bound token of the Multus service account. */
const boundClaims: JWTPayload = {
  aud: ['https://kubernetes.default.svc.cluster.local'],
  sub: 'system:serviceaccount:kube-system:multus',
  'kubernetes.io': {
    namespace: 'kube-system',
    serviceaccount: { name: 'multus', uid: 'sa-uid-1' },
    pod: { name: 'kube-multus-ds-abcde', uid: 'pod-uid-1' },
    node: { name: 'worker-1', uid: 'node-uid-1' },
    warnafter: NOW_S + 3607,
  },
};

let clusterKey: CryptoKey;
let ecKey: CryptoKey;
let foreignKey: CryptoKey;
let jwks: { keys: JWK[] };

before(async () => {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  clusterKey = rsa.privateKey;
  ecKey = ec.privateKey;
  foreignKey = foreign.privateKey;
  jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'cluster-rsa', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'cluster-ec', alg: 'ES256', use: 'sig' },
    ],
  };
});

function mint(
  key: CryptoKey,
  opts: { alg?: string; kid?: string; iss?: string; exp?: number | null; iat?: number; nbf?: number;
    claims?: JWTPayload } = {},
): Promise<string> {
  const jwt = new SignJWT(opts.claims ?? boundClaims)
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'cluster-rsa' })
    .setIssuer(opts.iss ?? ISSUER)
    .setIssuedAt(opts.iat ?? NOW_S);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? NOW_S + 365 * 86400);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function unsigned(payload: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

test('fingerprint is the first 12 hex digits of sha256', () => {
  const want = createHash('sha256').update('abc').digest('hex').slice(0, 12);
  assert.equal(fingerprint('abc'), want);
  assert.match(fingerprint('x'), /^[0-9a-f]{12}$/);
  assert.notEqual(fingerprint('a'), fingerprint('b'));
});

test('inspectToken maps a bound token into TokenClaims', async () => {
  const token = await mint(clusterKey, { nbf: NOW_S - 10 });
  const r = inspectToken(token);
  assert.deepEqual(r, {
    ok: true,
    fingerprint: fingerprint(token),
    alg: 'RS256',
    kid: 'cluster-rsa',
    claims: {
      iss: ISSUER,
      sub: 'system:serviceaccount:kube-system:multus',
      aud: ['https://kubernetes.default.svc.cluster.local'],
      exp: NOW_S + 365 * 86400,
      iat: NOW_S,
      nbf: NOW_S - 10,
      warnafter: NOW_S + 3607,
      namespace: 'kube-system',
      serviceAccountName: 'multus',
      serviceAccountUid: 'sa-uid-1',
      podName: 'kube-multus-ds-abcde',
      podUid: 'pod-uid-1',
      nodeName: 'worker-1',
      nodeUid: 'node-uid-1',
    },
  });
});

test('inspectToken: a string aud becomes a list; a legacy token has no exp and legacy claims', async () => {
  const legacy = await mint(clusterKey, {
    iss: 'kubernetes/serviceaccount',
    exp: null,
    claims: {
      aud: 'api',
      sub: 'system:serviceaccount:kube-system:multus',
      'kubernetes.io/serviceaccount/namespace': 'kube-system',
      'kubernetes.io/serviceaccount/service-account.name': 'multus',
      'kubernetes.io/serviceaccount/service-account.uid': 'sa-uid-legacy',
      'kubernetes.io/serviceaccount/secret.name': 'multus-token-xyz',
    },
  });
  const r = inspectToken(legacy);
  assert.ok(r.ok);
  assert.deepEqual(r.claims.aud, ['api']);
  assert.equal(r.claims.exp, undefined);
  assert.equal('exp' in r.claims, false, 'absent claims are left out');
  assert.equal(r.claims.namespace, 'kube-system');
  assert.equal(r.claims.serviceAccountName, 'multus');
  assert.equal(r.claims.serviceAccountUid, 'sa-uid-legacy');
  assert.equal(r.claims.podUid, undefined);
});

test('inspectToken keeps only claims of the right type', () => {
  const token = unsigned({ exp: 'soon', iat: 5, sub: 42, 'kubernetes.io': { pod: 'not-a-map', warnafter: '1' } });
  const r = inspectToken(token);
  assert.ok(r.ok);
  assert.deepEqual(r.claims, { iat: 5 });
  assert.equal(r.alg, 'none');
});

test('inspectToken refuses what is not a JWT, without echoing it', () => {
  const cases: [string, RegExp][] = [
    ['garbage', /1 dot-separated parts instead of 3/],
    ['', /1 dot-separated parts/],
    ['a.b.c.d.e', /5 dot-separated parts/],
    ['%%%.%%%.%%%', /header is not base64url-encoded JSON/],
    [`${b64url({ alg: 'RS256' })}.bm90IGpzb24.c2ln`, /claims are not a base64url-encoded JSON object/],
    [`${b64url({ alg: 'RS256' })}.${b64url([1, 2])}.c2ln`, /claims are not/],
  ];
  for (const [token, reason] of cases) {
    const r = inspectToken(token);
    assert.equal(r.ok, false, token);
    if (!r.ok) {
      assert.match(r.reason, reason, token);
      assert.equal(r.fingerprint, fingerprint(token));
      if (token.length > 8) assert.ok(!r.reason.includes(token));
    }
  }
});

test('verifySignature: tokens signed by the cluster are valid, expired or not', async () => {
  assert.deepEqual(await verifySignature(await mint(clusterKey), jwks, { issuer: ISSUER }), { status: 'valid' });
  assert.deepEqual(await verifySignature(await mint(ecKey, { alg: 'ES256', kid: 'cluster-ec' }), jwks, {}), {
    status: 'valid',
  });
  const expired = await mint(clusterKey, { iat: 1_600_000_000, exp: 1_600_003_607 });
  assert.deepEqual(await verifySignature(expired, jwks, { issuer: ISSUER }), { status: 'valid' });
  const notYet = await mint(clusterKey, { nbf: 4_000_000_000, exp: 4_100_000_000 });
  assert.deepEqual(await verifySignature(notYet, jwks, { issuer: ISSUER }), { status: 'valid' });
  const legacy = await mint(clusterKey, { exp: null });
  assert.deepEqual(await verifySignature(legacy, jwks, {}), { status: 'valid' });
});

test('verifySignature: forged, foreign, unsigned and mis-issued tokens are invalid, each with a reason', async () => {
  const good = await mint(clusterKey);
  const [h, , s] = good.split('.');
  const tampered = `${h}.${b64url({ ...boundClaims, iss: ISSUER, exp: NOW_S + 999_999_999 })}.${s}`;
  const cases: [string, string, RegExp][] = [
    ['foreign key, same kid', await mint(foreignKey),
      /signature of the token [0-9a-f]{12} does not verify against the cluster's key \(kid "cluster-rsa"\)/],
    ['foreign key, unknown kid', await mint(foreignKey, { kid: 'other-cluster' }),
      /no key of the cluster's JWKS matches .*kid "other-cluster"/],
    ['tampered claims', tampered, /does not verify/],
    ['alg none', unsigned({ ...boundClaims, iss: ISSUER, exp: NOW_S + 3600 }), /unsigned \(alg "none"\)/],
    ['HS256', await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32))),
      /signed with HS256/],
    ['wrong issuer', await mint(clusterKey, { iss: 'https://evil.example' }),
      /issued by "https:\/\/evil.example", not by this cluster's issuer/],
    ['wrong issuer, expired',
      await mint(clusterKey, { iss: 'https://evil.example', iat: 1_600_000_000, exp: 1_600_003_607 }),
      /issued by "https:\/\/evil.example"/],
    ['garbage', 'garbage', /not a JWT/],
    ['signature stripped', `${h}.${good.split('.')[1]}.`, /does not verify|not a well-formed/],
  ];
  for (const [name, token, reason] of cases) {
    const v = await verifySignature(token, jwks, { issuer: ISSUER });
    assert.equal(v.status, 'invalid', name);
    if (v.status === 'invalid') {
      assert.match(v.reason, reason, name);
      assert.ok(!v.reason.includes(token.split('.')[1] ?? 'x'), `${name}: no part of the token`);
    }
  }
});

test('verifySignature: a malformed JWKS leaves the signature unchecked', async () => {
  const token = await mint(clusterKey);
  for (const bad of [null, 'keys', {}, { keys: 'x' }, { keys: [null] }, { keys: [] }, []]) {
    const v = await verifySignature(token, bad, { issuer: ISSUER });
    assert.equal(v.status, 'unchecked', JSON.stringify(bad));
    if (v.status === 'unchecked') assert.match(v.reason, /JWKS/);
  }
  const brokenKey = { keys: [{ kty: 'RSA', kid: 'cluster-rsa', alg: 'RS256', n: '!!', e: 'AQAB' }] };
  const v = await verifySignature(token, brokenKey, { issuer: ISSUER });
  assert.equal(v.status, 'unchecked', 'a broken key neither vouches for nor condemns a token');
});

test('verifySignature: every algorithm the API server signs with (RS256, ES256, ES384, ES512) verifies', async () => {
  for (const alg of ['ES384', 'ES512']) {
    const kp = await generateKeyPair(alg, { extractable: true });
    const set = {
      keys: [...jwks.keys, { ...(await exportJWK(kp.publicKey)), kid: `cluster-${alg}`, alg, use: 'sig' }],
    };
    const token = await mint(kp.privateKey, { alg, kid: `cluster-${alg}` });
    assert.deepEqual(await verifySignature(token, set, { issuer: ISSUER }), { status: 'valid' }, alg);
  }
});

test('verifySignature: a token signed by the cluster under another issuer says which (issuer migration)', async () => {
  const v = await verifySignature(await mint(clusterKey, { iss: 'https://old-issuer.example' }), jwks, {
    issuer: ISSUER,
  });
  assert.equal(v.status, 'invalid');
  if (v.status === 'invalid') assert.equal(v.otherIssuer, 'https://old-issuer.example');
  const forged = await verifySignature(await mint(foreignKey, { iss: 'https://old-issuer.example' }), jwks, {
    issuer: ISSUER,
  });
  assert.equal(forged.status === 'invalid' ? forged.otherIssuer : 'x', undefined,
    'a bad signature is not an issuer question');
});
