// The facts kept between runs: what is stored (never the token), that they round-trip, that a node judged from them
// is still judged with `now` (an expiry counts), and how big they are at 5,000 nodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyNode } from '../../../scripts/classify/classify-node.ts';
import type { MultusPodFacts, NodeFinding, NodeScan } from '../../../scripts/model.ts';
import { decodeKnownFacts, encodeKnownFacts, FACTS_KEY, knownFromScan,
  scanFromKnown } from '../../../scripts/scan/known-facts.ts';

const DAY = 24 * 3600_000;
const NOW = Date.parse('2026-11-27T12:00:00Z');
const PATH = '/host/etc/cni/net.d/multus.d/multus.kubeconfig';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'; // what the file held: never stored

const uid = (i: number, p: string) => `${p}${String(i).padStart(8, '0')}-1d2c-4b8a-9f00-5e6d7c8b9a0f`.slice(-36);

function pod(i: number, uidOf = uid(i, 'p')): MultusPodFacts {
  return { namespace: 'kube-system', name: `kube-multus-ds-${i.toString(36).padStart(5, '0')}`, uid: uidOf,
    nodeName: i < 10 ? `worker-${i}` : `ip-10-0-${i >> 8}-${i & 255}.eu-west-1.compute.internal`, mode: 'thin',
    serviceAccountName: 'multus' };
}

function readScan(i: number, exp = NOW + 300 * DAY): NodeScan {
  const p = pod(i);
  return { node: p.nodeName, multusPod: p, file: { status: 'read', via: 'exec', bytes: 1800, path: PATH },
    serviceAccountUid: 'sa-uid-1',
    content: { status: 'token', server: 'https://10.0.0.1:443', user: 'multus', context: 'multus-context',
      token: { fingerprint: 'a1b2c3d4e5f6', alg: 'RS256', kid: 'k3y-1d-of-forty-three-characters-xxxxxxxxxx',
        claims: { iss: ISSUER, sub: 'system:serviceaccount:kube-system:multus', aud: [ISSUER], exp: exp / 1000,
          iat: (NOW - 65 * DAY) / 1000, nbf: (NOW - 65 * DAY) / 1000, namespace: 'kube-system',
          serviceAccountName: 'multus', serviceAccountUid: 'sa-uid-1', podName: p.name, podUid: p.uid,
          nodeName: p.nodeName, nodeUid: uid(i, 'n') }, signature: { status: 'valid' },
        review: { status: 'authenticated', username: 'system:serviceaccount:x' } } } };
}

const judge = (scans: NodeScan[], now = NOW): NodeFinding[] =>
  scans.map((s) => classifyNode(s, { now, expiringWithinMs: DAY }));

test('a healthy node read this run is kept; its rebuilt scan is judged like the read one', () => {
  const scans = [readScan(1)];
  const facts = knownFromScan(scans, judge(scans), undefined, { path: PATH, issuer: ISSUER, now: NOW });
  const text = encodeKnownFacts(facts);
  assert.doesNotMatch(text, new RegExp(TOKEN.split('.')[1] ?? 'x'));
  const back = decodeKnownFacts(text).facts;
  const k = back?.nodes.get('worker-1');
  assert.ok(k);
  assert.equal(back?.path, PATH);
  assert.equal(back?.issuer, ISSUER);
  const rebuilt = scanFromKnown('worker-1', k, pod(1), 'sa-uid-1', PATH);
  const [read] = judge(scans);
  const [reused] = judge([rebuilt]);
  assert.equal(reused?.class, 'healthy');
  assert.equal(reused?.reason, read?.reason);
  assert.equal(reused?.fingerprint, 'a1b2c3d4e5f6');
  assert.equal(rebuilt.reusedFrom, NOW);
});

test('a node judged from its facts is judged with now: past its expiry it is expired, near it expiring', () => {
  const scans = [readScan(1, NOW + 30 * DAY)];
  const k = knownFromScan(scans, judge(scans), undefined, { path: PATH, now: NOW }).nodes.get('worker-1');
  assert.ok(k);
  const rebuilt = scanFromKnown('worker-1', k, pod(1), 'sa-uid-1', PATH);
  assert.equal(judge([rebuilt], NOW + 29.5 * DAY)[0]?.class, 'expiring');
  assert.equal(judge([rebuilt], NOW + 31 * DAY)[0]?.class, 'expired');
  // and a service account recreated since: the reused facts are invalid, not healthy
  const other = scanFromKnown('worker-1', k, pod(1), 'sa-uid-2', PATH);
  assert.equal(judge([other])[0]?.class, 'invalid');
});

test('only healthy tokens are kept; a reused node keeps its facts (and the time of its read)', () => {
  const expired = readScan(2, NOW - DAY);
  const scans = [readScan(1), expired];
  const unchecked = readScan(3);
  if (unchecked.content?.status === 'token') {
    unchecked.content.token.signature = { status: 'unchecked', reason: 'the JWKS could not be read' };
  }
  const first = knownFromScan([...scans, unchecked], judge([...scans, unchecked]), undefined, { path: PATH, now: NOW });
  assert.equal(judge([unchecked])[0]?.class, 'healthy', 'accepted by TokenReview, its signature unchecked');
  assert.deepEqual([...first.nodes.keys()], ['worker-1'], 'kept: healthy and verified only');
  const k = first.nodes.get('worker-1');
  assert.ok(k);
  const reused = scanFromKnown('worker-1', k, pod(1), 'sa-uid-1', PATH);
  const second = knownFromScan([reused], judge([reused], NOW + 600_000), first, { path: PATH, now: NOW + 600_000 });
  assert.equal(second.nodes.get('worker-1')?.readAt, NOW);
  assert.equal(encodeKnownFacts(second), encodeKnownFacts(first), 'nothing changed: the same text, no write');
});

test('stored facts that cannot be used are dropped: the node is read again', () => {
  assert.deepEqual(decodeKnownFacts(undefined), {});
  assert.match(decodeKnownFacts('{').problem ?? '', /nodes\.json is not JSON/);
  assert.match(decodeKnownFacts('{"version":9}').problem ?? '', /not version 1/);
  const scans = [readScan(1), readScan(2)];
  const text = encodeKnownFacts(knownFromScan(scans, judge(scans), undefined, { path: PATH, now: NOW }));
  const edited = text.replace('"worker-2",', '"worker-2",42,');
  assert.deepEqual([...(decodeKnownFacts(edited).facts?.nodes.keys() ?? [])], ['worker-1']);
});

test('size: the facts of 5,000 nodes (names as on EKS) fit a ConfigMap of their own (1 MiB), not beside the summary', () => {
  const scans = Array.from({ length: 5000 }, (_, i) => readScan(i));
  const text = encodeKnownFacts(
    knownFromScan(scans, judge(scans), undefined, { path: PATH, issuer: ISSUER, now: NOW }),
  );
  const bytes = Buffer.byteLength(FACTS_KEY) + Buffer.byteLength(text);
  const perNode = bytes / 5000;
  console.log(`facts of 5,000 nodes: ${bytes} bytes, ${perNode.toFixed(0)} bytes a node`);
  assert.ok(bytes < 1024 * 1024 - 4096, `${bytes} bytes`);
});
