// What the last read of each node's file found, kept between runs so that a run re-reads only the nodes whose inputs
// changed (scan/reread.ts). Only facts of healthy tokens are kept: the Multus pod the token is bound to, the token's
// fingerprint (a short hash, never the token), its expiry and issue time, and the claims that every node shares
// (issuer, service account and its UID, key id), stored once as a "profile". Pure: encode, decode, and convert.
// Decoding is defensive (a person or another version may have edited the ConfigMap): what cannot be used is dropped,
// and a dropped node is simply read again.
import type { Millis, NodeFinding, NodeScan, MultusPodFacts, TokenClaims } from '../model.ts';

/** The claims and verdicts that many nodes' tokens share. */
export interface TokenProfile {
  iss?: string;
  namespace?: string;
  serviceAccountName?: string;
  serviceAccountUid?: string;
  kid?: string;
  alg?: string;
  /** The username TokenReview returned. */
  user: string;
}

export interface KnownNode {
  /** The Multus pod's UID when the file was read: the pod the token is bound to. */
  pod: string;
  fingerprint: string;
  via: 'exec' | 'reader-pod';
  /** When the file was read (epoch ms). */
  readAt: Millis;
  /** Seconds since the epoch, as in the JWT. */
  exp: number;
  iat?: number;
  warnafter?: number;
  profile: TokenProfile;
}

export interface KnownFacts {
  /** The kubeconfig path the files were read at; another path: every node is read again. */
  path: string;
  /** The issuer the API server announced at the reads; another issuer: every node is read again. */
  issuer?: string;
  nodes: ReadonlyMap<string, KnownNode>;
}

/** The ConfigMap key that holds the facts. */
export const FACTS_KEY = 'nodes.json';
const VERSION = 1;

/** The facts to keep from this run's scan: a node read this run, if its token is healthy; one reused, as it was. */
export function knownFromScan(scans: readonly NodeScan[], findings: readonly NodeFinding[],
  previous: KnownFacts | undefined, ctx: { path: string; issuer?: string; now: Millis }): KnownFacts {
  const nodes = new Map<string, KnownNode>();
  for (const [i, scan] of scans.entries()) {
    const finding = findings[i];
    if (finding?.class !== 'healthy') continue;
    const old = previous?.nodes.get(scan.node);
    if (scan.reusedFrom !== undefined && old !== undefined) {
      nodes.set(scan.node, old);
      continue;
    }
    const content = scan.content;
    if (scan.file.status !== 'read' || content?.status !== 'token') continue;
    const { claims, review, signature } = content.token;
    if (claims.exp === undefined || claims.podUid !== scan.multusPod.uid || review.status !== 'authenticated' ||
      signature.status !== 'valid') continue; // e.g. the JWKS unreadable: kept only once verified
    nodes.set(scan.node, {
      pod: scan.multusPod.uid,
      fingerprint: content.token.fingerprint,
      via: scan.file.via,
      readAt: ctx.now,
      exp: claims.exp,
      ...(claims.iat === undefined ? {} : { iat: claims.iat }),
      ...(claims.warnafter === undefined ? {} : { warnafter: claims.warnafter }),
      profile: dropUndefined({ iss: claims.iss, namespace: claims.namespace,
        serviceAccountName: claims.serviceAccountName, serviceAccountUid: claims.serviceAccountUid,
        kid: content.token.kid, alg: content.token.alg, user: review.username }),
    });
  }
  return { path: ctx.path, ...(ctx.issuer === undefined ? {} : { issuer: ctx.issuer }), nodes };
}

/**
 * The node's scan rebuilt from its known facts and the cluster as it is now (its Multus pod, its Node, the service
 * account's UID): the classifier judges it as if the file had been read, with `now`, so an expiry still counts.
 */
export function scanFromKnown(node: string, known: KnownNode, pod: MultusPodFacts,
  serviceAccountUid: string | undefined, path: string): NodeScan {
  const p = known.profile;
  const claims: TokenClaims = dropUndefined({ iss: p.iss, exp: known.exp, iat: known.iat, warnafter: known.warnafter,
    namespace: p.namespace, serviceAccountName: p.serviceAccountName, serviceAccountUid: p.serviceAccountUid,
    podName: pod.name, podUid: known.pod });
  return {
    node,
    multusPod: pod,
    file: { status: 'read', via: known.via, bytes: 0, path },
    content: { status: 'token',
      token: { fingerprint: known.fingerprint, ...(p.alg === undefined ? {} : { alg: p.alg }),
        ...(p.kid === undefined ? {} : { kid: p.kid }), claims, signature: { status: 'valid' },
        review: { status: 'authenticated', username: p.user } } },
    ...(serviceAccountUid === undefined ? {} : { serviceAccountUid }),
    reusedFrom: known.readAt,
  };
}

// ── the stored form: one JSON document, a profile table and one short row per node ──

type Row = [node: string, pod: string, fingerprint: string, via: 0 | 1, readAtS: number, exp: number,
  iat: number | null, warnafter: number | null, profile: number];

const PROFILE_KEYS = ['iss', 'namespace', 'serviceAccountName', 'serviceAccountUid', 'kid', 'alg'] as const;

export function encodeKnownFacts(facts: KnownFacts): string {
  const profiles: string[] = []; // each in one key order, so that the same facts are the same text
  const index = new Map<string, number>();
  const rows: Row[] = [];
  for (const [node, k] of [...facts.nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const key = JSON.stringify(k.profile, [...PROFILE_KEYS, 'user']);
    let i = index.get(key);
    if (i === undefined) {
      i = profiles.length;
      profiles.push(key);
      index.set(key, i);
    }
    rows.push([node, k.pod, k.fingerprint, k.via === 'exec' ? 0 : 1, Math.floor(k.readAt / 1000), k.exp, k.iat ?? null,
      k.warnafter ?? null, i]);
  }
  // One row a line: a person can read it, and a diff of two runs shows the nodes that changed.
  return `{"version":${VERSION},"path":${JSON.stringify(facts.path)},` +
    `${facts.issuer === undefined ? '' : `"issuer":${JSON.stringify(facts.issuer)},`}` +
    `"profiles":[${profiles.join(',')}],\n"nodes":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]}\n`;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null &&
  !Array.isArray(v);
const optString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function readProfile(v: unknown): TokenProfile | undefined {
  if (!isRecord(v) || typeof v.user !== 'string' || !PROFILE_KEYS.every((k) => optString(v[k]))) return undefined;
  const p: Record<string, string> = { user: v.user };
  for (const k of PROFILE_KEYS) if (typeof v[k] === 'string') p[k] = v[k];
  return p as unknown as TokenProfile;
}

/** The facts in the stored text, or why they cannot be used (then every node is read). */
export function decodeKnownFacts(text: string | undefined): { facts?: KnownFacts; problem?: string } {
  if (text === undefined || text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { problem: `${FACTS_KEY} is not JSON` };
  }
  if (!isRecord(doc) || doc.version !== VERSION || typeof doc.path !== 'string' || !optString(doc.issuer) ||
    !Array.isArray(doc.profiles) || !Array.isArray(doc.nodes)) {
    return { problem: `${FACTS_KEY} is not version ${VERSION} of the node facts` };
  }
  const profiles = doc.profiles.map(readProfile);
  const nodes = new Map<string, KnownNode>();
  for (const r of doc.nodes) {
    if (!Array.isArray(r) || r.length !== 9) continue;
    const [node, pod, fingerprint, via, readAtS, exp, iat, warnafter, pi] = r as unknown[];
    const profile = isNum(pi) ? profiles[pi] : undefined;
    if (typeof node !== 'string' || typeof pod !== 'string' || typeof fingerprint !== 'string' ||
      (via !== 0 && via !== 1) || !isNum(readAtS) || !isNum(exp) || !(iat === null || isNum(iat)) ||
      !(warnafter === null || isNum(warnafter)) || profile === undefined) continue;
    nodes.set(node, { pod, fingerprint, via: via === 0 ? 'exec' : 'reader-pod', readAt: readAtS * 1000, exp,
      ...(iat === null ? {} : { iat }), ...(warnafter === null ? {} : { warnafter }), profile });
  }
  return { facts: { path: doc.path, ...(doc.issuer === undefined ? {} : { issuer: doc.issuer }), nodes } };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
