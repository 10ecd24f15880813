// Look inside a service-account token without keeping it: a fingerprint to name it by, its claims, and whether the
// cluster's keys signed it. Nothing returned here contains the token or any part of it.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import type { SignatureVerdict, TokenClaims } from '../model.ts';

/** The key set built for each JWKS document (a run reads the JWKS once and checks every node's token with it). */
const KEY_SETS = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();

export type TokenInspection =
  | { ok: true; fingerprint: string; alg?: string; kid?: string; claims: TokenClaims }
  | { ok: false; fingerprint: string; reason: string };

/** Every algorithm the API server signs service-account tokens with (RSA keys: RS256; ECDSA keys: by curve). */
export const ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512'];

/** First 12 hex digits of sha256(token): the only way a token is ever named. */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (
  value: unknown,
): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const sub = (value: unknown, key: string): unknown => (isRecord(value) ? value[key] : undefined);

/** The claims we keep, from a decoded payload: standard ones, `kubernetes.io` (bound tokens) and legacy secret-token ones. */
export function claimsOf(payload: JWTPayload): TokenClaims {
  const k8s = payload['kubernetes.io'];
  const aud = payload.aud;
  const candidates: TokenClaims = {
    iss: str(payload.iss),
    sub: str(payload.sub),
    aud: typeof aud === 'string' ? [aud]
      : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : undefined,
    exp: num(payload.exp),
    iat: num(payload.iat),
    nbf: num(payload.nbf),
    warnafter: num(sub(k8s, 'warnafter')),
    namespace: str(sub(k8s, 'namespace')) ?? str(payload['kubernetes.io/serviceaccount/namespace']),
    serviceAccountName: str(sub(sub(k8s, 'serviceaccount'), 'name')) ??
      str(payload['kubernetes.io/serviceaccount/service-account.name']),
    serviceAccountUid: str(sub(sub(k8s, 'serviceaccount'), 'uid')) ??
      str(payload['kubernetes.io/serviceaccount/service-account.uid']),
    podName: str(sub(sub(k8s, 'pod'), 'name')),
    podUid: str(sub(sub(k8s, 'pod'), 'uid')),
    nodeName: str(sub(sub(k8s, 'node'), 'name')),
    nodeUid: str(sub(sub(k8s, 'node'), 'uid')),
  };
  // Drop absent claims so that the result serialises cleanly (exactOptionalPropertyTypes-friendly).
  const claims: TokenClaims = {};
  for (const [key, value] of Object.entries(candidates)) {
    if (value !== undefined) {
      Object.assign(claims, { [key]: value });
    }
  }
  return claims;
}

/** Decode a token's header and claims. Does not verify anything. */
export function inspectToken(token: string): TokenInspection {
  const fp = fingerprint(token);
  if (token.split('.').length !== 3) {
    return { ok: false, fingerprint: fp,
      reason: `the token ${fp} is not a JWT: it has ${token.split('.').length} dot-separated parts instead of 3` };
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, fingerprint: fp,
      reason: `the token ${fp} is not a JWT: its header is not base64url-encoded JSON` };
  }
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    return { ok: false, fingerprint: fp,
      reason: `the token ${fp} is not a JWT: its claims are not a base64url-encoded JSON object` };
  }
  const result: TokenInspection = { ok: true, fingerprint: fp, claims: claimsOf(payload) };
  const alg = str(header['alg']);
  const kid = str(header['kid']);
  if (alg !== undefined) result.alg = alg;
  if (kid !== undefined) result.kid = kid;
  return result;
}

function errorField(error: unknown, field: 'code' | 'claim'): string | undefined {
  return typeof error === 'object' && error !== null ? str((error as Record<string, unknown>)[field]) : undefined;
}

/**
 * Check the token's signature against the cluster's keys (the JSON of /openid/v1/jwks) and, when given, its issuer.
 * Expiry is not judged here: an expired but correctly signed token is `valid`.
 */
export async function verifySignature(token: string, jwks: unknown,
  opts: { issuer?: string }): Promise<SignatureVerdict> {
  const fp = fingerprint(token);
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { status: 'invalid', reason: `the token ${fp} is not a JWT, so it has no signature to check` };
  }
  const alg = str(header['alg']);
  const kid = str(header['kid']);
  if (alg === undefined || alg.toLowerCase() === 'none') {
    return { status: 'invalid',
      reason: `the token ${fp} is unsigned (alg "${alg ?? 'missing'}"); the API server never issues such tokens` };
  }
  if (!ALGORITHMS.includes(alg)) {
    return { status: 'invalid',
      reason: `the token ${fp} is signed with ${alg}; service-account tokens are signed with ${
        ALGORITHMS.join(', ')
      }` };
  }
  if (!isRecord(jwks) || !Array.isArray(jwks['keys'])) {
    return { status: 'unchecked',
      reason:
        'the cluster\'s JWKS (/openid/v1/jwks) is not a {"keys": [...]} document, so signatures cannot be checked' };
  }
  if (jwks['keys'].length === 0) {
    return { status: 'unchecked',
      reason: "the cluster's JWKS (/openid/v1/jwks) has no keys, so signatures cannot be checked" };
  }
  let keySet: ReturnType<typeof createLocalJWKSet>;
  try {
    // One key set per JWKS document: it keeps the imported keys, so a thousand tokens import the keys once
    // (measured: importing them for every token was a tenth of the rotator's CPU in the scan, bench/RESULTS.md).
    keySet = KEY_SETS.get(jwks) ?? createLocalJWKSet(jwks as unknown as JSONWebKeySet);
    KEY_SETS.set(jwks, keySet);
  } catch (error) {
    return { status: 'unchecked',
      reason: `the cluster's JWKS (/openid/v1/jwks) is malformed (${
        errorField(error, 'code') ?? 'unreadable'
      }), so signatures cannot be checked` };
  }
  const verifyOptions = opts.issuer === undefined ? { algorithms: ALGORITHMS }
    : { algorithms: ALGORITHMS, issuer: opts.issuer };
  const keyName = kid === undefined ? 'no kid' : `kid "${kid}"`;
  try {
    await jwtVerify(token, keySet, verifyOptions);
    return { status: 'valid' };
  } catch (error) {
    const code = errorField(error, 'code');
    const claim = errorField(error, 'claim');
    switch (code) {
      case 'ERR_JWT_EXPIRED':
        // jose checks the signature (and the issuer) before the expiry: the signature is good.
        return { status: 'valid' };
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (claim === 'nbf') {
          return { status: 'valid' }; // signed correctly; timing is judged elsewhere
        }
        if (claim === 'iss') {
          const iss = str(decodeJwt(token).iss);
          // The signature verified (jose checks it before the claims); only the issuer differs. During an issuer
          // migration (several --service-account-issuer) the API server still accepts the older ones: the classifier
          // lets TokenReview decide.
          const verdict: SignatureVerdict = {
            status: 'invalid',
            reason: `the token ${fp} was issued by ${
              iss === undefined ? 'no issuer' : `"${iss}"`
            }, not by this cluster's issuer "${opts.issuer ?? ''}"`,
          };
          if (iss !== undefined) verdict.otherIssuer = iss;
          return verdict;
        }
        return { status: 'invalid', reason: `the token ${fp} has an invalid "${claim ?? 'unknown'}" claim` };
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return {
          status: 'invalid',
          unknownKey: true,
          reason:
            `no key of the cluster's JWKS matches the token ${fp} (${alg}, ${keyName}): it was signed by another cluster or by a key that was rotated out`,
        };
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return {
          status: 'invalid',
          reason:
            `the signature of the token ${fp} does not verify against the cluster's key (${keyName}): it was forged or altered`,
        };
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return { status: 'invalid',
          reason: `the token ${fp} uses the algorithm ${alg}, which service-account tokens do not use` };
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
        return { status: 'invalid', reason: `the token ${fp} is not a well-formed signed JWT` };
      default:
        return {
          status: 'unchecked',
          reason: `the signature of the token ${fp} could not be checked against the cluster's JWKS (${
            code ?? (error instanceof Error ? error.name : 'unknown error')
          })`,
        };
    }
  }
}
