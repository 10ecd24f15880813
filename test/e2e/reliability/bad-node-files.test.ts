// Reliability: hostile and broken content in the nodes' /etc/cni/net.d/multus.d/multus.kubeconfig. Each kind of bad
// input is put on a simulated node (five kinds per batch, the sixth node keeps its good file as a control), then the
// real entry point runs as a dry run and, on the same files, with --execute. Per kind: the class is what the truth
// is (never `healthy` for a malformed file), the reason names the specific problem, the other nodes of the run are
// still judged, no token text reaches stdout/stderr, and a node whose file could not be read is never acted on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import { AuthenticationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { generateKeyPair, SignJWT } from 'jose';
import { stringify } from 'yaml';
import { clusterEnv, nodeKubeconfigFile, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { multusPods, restoreNodeFileAfter } from '../../../local-cluster/seed/multus.ts';
import { mintToken, multusKubeconfig, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { runLocal, type RotatorRun } from '../support/run-rotator.ts';
import { recordMintedToken } from '../../../local-cluster/seed/token-log.ts';
import { boundClaims, boundToken } from '../../../local-cluster/seed/tokens.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const authn = env.kc.makeApiClient(AuthenticationV1Api);

type Class = 'healthy' | 'expiring' | 'expired' | 'invalid' | 'legacy' | 'unreadable' | 'self-refreshing'
  | 'external-credentials';

interface Finding {
  node: string;
  class: Class;
  reason: string;
  fingerprint?: string;
}
interface NodeExec {
  node: string;
  outcome: string;
  reason: string;
  multus?: { oldUid?: string; newUid?: string };
}
interface Result {
  findings: Finding[];
  plan: { steps: { node: string }[] };
  execution?: { nodes: NodeExec[] };
}

/** What a kind puts on its node. */
interface Placed {
  /** The file's new content; absent when `fs` replaces the file by something else. */
  content?: string | Uint8Array;
  /** 'missing': the file is removed; 'dir': a directory takes its place; 'fifo': a named pipe that never ends. */
  fs?: 'missing' | 'dir' | 'fifo';
  /** Token text in the file, to be searched for in the output. */
  tokens: string[];
}

interface Ctx {
  node: string;
  pod: V1Pod;
  ns: string;
}

interface Kind {
  name: string;
  /** The class the truth calls for. */
  expect: Class;
  /** The reason must say this. */
  reason: RegExp;
  /** false for content that is well-formed (the token itself is judged); every other kind must never be healthy. */
  malformed?: boolean;
  /** What the API server says of the token, checked with a TokenReview of our own before trusting the product. */
  apiServer?: 'accepts' | 'rejects';
  /** A further check of the reason (found as product bugs by this test, since fixed). */
  reasonAlso?: { about: string; match?: RegExp; notMatch?: RegExp };
  place(ctx: Ctx): Promise<Placed>;
}

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A kubeconfig object in the 3.x entrypoint's shape, to be broken by a kind. */
function kubeconfigObject(token: unknown): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: env.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'multus', user: { token } }],
    contexts: [{ name: 'multus-context', context: { cluster: 'local', user: 'multus' } }],
    'current-context': 'multus-context',
  };
}

/** A token the API server accepts for the node's Multus pod, for 30 days: whatever is wrong is the file's shape. */
const goodToken = (pod: V1Pod) => boundToken(env, pod, 30 * 86400);

/** Records a token built by hand here (mintToken records its own) for the suite's no-token-leak check. */
function recorded(token: string): string {
  recordMintedToken(token, env.root);
  return token;
}

let es256: Awaited<ReturnType<typeof generateKeyPair>> | undefined;

const KINDS: Kind[] = [
  // ── the bytes ──
  { name: 'an empty file', expect: 'invalid', reason: /is empty/, place: async () => ({ content: '', tokens: [] }) },
  { name: 'only white space', expect: 'invalid', reason: /only white space/,
    place: async () => ({ content: '\n   \n\t\n', tokens: [] }) },
  { name: 'binary junk (random bytes with NULs)', expect: 'invalid', reason: /NUL bytes.*binary/,
    place: async () => ({ content: Buffer.concat([randomBytes(2048), Buffer.from([0]), randomBytes(2048)]),
      tokens: [] }) },
  { name: 'terminal control characters (an ANSI escape)', expect: 'invalid', reason: /control character 0x1b/,
    place: async ({ pod }) => {
      const tok = await goodToken(pod);
      return { content: `# \u001b[31mred\u001b[0m\n${multusKubeconfig(tok)}`, tokens: [tok] };
    } },
  { name: 'non-UTF-8 bytes (a Latin-1 comment)', expect: 'invalid', reason: /not valid UTF-8/,
    place: async ({ pod }) => {
      const tok = await goodToken(pod);
      return { content: Buffer.from(`# caf\u00e9 cr\u00e8me\n${multusKubeconfig(tok)}`, 'latin1'), tokens: [tok] };
    } },
  { name: 'a 10 MB file', expect: 'unreadable', reason: /larger than 65536 bytes.*--max-file-size/,
    place: async ({ pod }) => {
      const tok = await goodToken(pod);
      return { content: `${multusKubeconfig(tok)}# ${'x'.repeat(10 * 1024 * 1024)}\n`, tokens: [tok] };
    } },
  { name: 'no file at all', expect: 'unreadable', reason: /No such file/,
    place: async () => ({ fs: 'missing', tokens: [] }) },
  { name: 'a directory where the file should be', expect: 'unreadable', reason: /Is a directory/,
    place: async () => ({ fs: 'dir', tokens: [] }) },
  { name: 'a named pipe that never ends', expect: 'unreadable', reason: /did not finish within \d+ ms/,
    place: async () => ({ fs: 'fifo', tokens: [] }) },
  // ── the YAML ──
  { name: 'not YAML (an unclosed flow sequence)', expect: 'invalid', reason: /not valid YAML.*line \d+/,
    place: async () => ({ content: 'apiVersion: v1\nusers: [ {name: multus\n', tokens: [] }) },
  { name: 'a YAML alias bomb (billion laughs)', expect: 'invalid', reason: /alias bomb/, place: async ({ pod }) => {
    const tok = await goodToken(pod);
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, l] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const prev = 'abcdefghi'[i];
      levels.push(`${l}: &${l} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    return { content: `${levels.join('\n')}\n${multusKubeconfig(tok)}`, tokens: [tok] };
  } },
  { name: 'a YAML custom tag (!!python/object/apply)', expect: 'invalid', reason: /YAML tag .*python.*never has/,
    place: async () => ({
      content: multusKubeconfig('x').replace('token: "x"',
        'token: !!python/object/apply:os.system ["cat /etc/shadow"]'),
      tokens: [],
    }) },
  { name: 'duplicate keys', expect: 'invalid', reason: /not valid YAML.*unique/, place: async ({ pod }) => {
    const tok = await goodToken(pod);
    return { content: `${multusKubeconfig(tok)}current-context: other\n`, tokens: [tok] };
  } },
  { name: 'a YAML list, not a mapping', expect: 'invalid', reason: /holds a list, not a kubeconfig mapping/,
    place: async () => ({ content: '- apiVersion: v1\n- kind: Config\n', tokens: [] }) },
  // ── the kubeconfig ──
  { name: 'no users', expect: 'invalid', reason: /has no users/, place: async ({ pod }) => {
    const tok = await goodToken(pod);
    const o = kubeconfigObject(tok);
    delete o.users;
    return { content: stringify(o), tokens: [tok] };
  } },
  { name: 'no contexts', expect: 'invalid', reason: /has no contexts/, place: async ({ pod }) => {
    const tok = await goodToken(pod);
    const o = kubeconfigObject(tok);
    delete o.contexts;
    delete o['current-context'];
    return { content: stringify(o), tokens: [tok] };
  } },
  { name: 'several contexts and no current-context', expect: 'invalid',
    reason: /has 2 contexts .*no current-context.*unknown/, place: async ({ pod }) => {
      const tok = await goodToken(pod);
      const o = kubeconfigObject(tok);
      o.contexts = [{ name: 'a', context: { cluster: 'local', user: 'multus' } }, { name: 'b',
        context: { cluster: 'local', user: 'multus' } }];
      delete o['current-context'];
      return { content: stringify(o), tokens: [tok] };
    } },
  { name: 'a current-context that names no context', expect: 'invalid',
    reason: /current-context "ghost" names no context/, place: async ({ pod }) => {
      const tok = await goodToken(pod);
      return { content: stringify({ ...kubeconfigObject(tok), 'current-context': 'ghost' }), tokens: [tok] };
    } },
  { name: 'a tokenFile instead of a token', expect: 'external-credentials', reason: /tokenFile.*cannot follow/,
    place: async () => ({
      content: stringify({ ...kubeconfigObject(null),
        users: [{ name: 'multus', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }] }),
      tokens: [],
    }) },
  { name: 'a client certificate instead of a token', expect: 'external-credentials',
    reason: /client certificate, not a token/, place: async () => ({
      content: stringify({ ...kubeconfigObject(null),
        users: [{ name: 'multus',
          user: { 'client-certificate-data': 'LS0tLS1CRUdJTg==', 'client-key-data': 'LS0tLS1CRUdJTg==' } }] }),
      tokens: [],
    }) },
  { name: 'an exec credential plugin', expect: 'external-credentials', reason: /plugin \(exec or auth-provider\)/,
    place: async () => ({
      content: stringify({ ...kubeconfigObject(null),
        users: [{ name: 'multus',
          user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'curl' } } }] }),
      tokens: [],
    }) },
  { name: 'a token that is a number', expect: 'invalid',
    reason: /token of the kubeconfig's user "multus" is a number, not a string/,
    place: async () => ({ content: multusKubeconfig('x').replace('token: "x"', 'token: 12345678901234567890'),
      tokens: [] }) },
  { name: 'an empty token', expect: 'invalid', reason: /token of the kubeconfig's user "multus" is empty/,
    place: async () => ({ content: multusKubeconfig(''), tokens: [] }) },
  { name: 'a kubeconfig that is JSON (well-formed, token expiring in 2h)', expect: 'expiring', malformed: false,
    reason: /expires at .*less than the 1d of --expiring-within/, place: async ({ pod }) => {
      const tok = await boundToken(env, pod, 2 * 3600);
      return { content: JSON.stringify(kubeconfigObject(tok), null, 2), tokens: [tok] };
    } },
  { name: 'a JSON kubeconfig cut off half-way', expect: 'invalid', reason: /not valid YAML/, place: async ({ pod }) => {
    const tok = await goodToken(pod);
    const text = JSON.stringify(kubeconfigObject(tok));
    return { content: text.slice(0, text.indexOf('"users"') + 20), tokens: [tok] };
  } },
  // ── the token ──
  { name: 'a token that is not a JWT', expect: 'invalid',
    reason: /is not a JWT: it has 1 dot-separated parts instead of 3/, place: async () => {
      const tok = recorded(`not-a-jwt-${randomBytes(12).toString('hex')}`);
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'a JWT truncated in its payload', expect: 'invalid', reason: /is not a JWT: it has 2 dot-separated parts/,
    place: async ({ pod }) => {
      const full = await goodToken(pod);
      const cut = recorded(full.slice(0, full.indexOf('.') + 80));
      return { content: multusKubeconfig(cut), tokens: [full, cut] };
    } },
  { name: 'a JWT truncated in its signature', expect: 'invalid',
    reason: /does not verify against the cluster's key.*forged or altered/, place: async ({ pod }) => {
      const full = await goodToken(pod);
      const cut = recorded(full.slice(0, full.length - 40));
      return { content: multusKubeconfig(cut), tokens: [full, cut] };
    } },
  { name: 'a JWT with a tampered payload', expect: 'invalid',
    reason: /does not verify against the cluster's key.*forged or altered/, place: async ({ pod }) => {
      const full = await goodToken(pod);
      const [h, p, s] = full.split('.');
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
      claims.exp = now() + 10 * 365 * 86400;
      const forged = recorded(`${h}.${b64(claims)}.${s}`);
      return { content: multusKubeconfig(forged), tokens: [full, forged] };
    } },
  { name: 'a JWT with alg none', expect: 'invalid', reason: /unsigned \(alg "none"\)/, place: async ({ pod }) => {
    const claims = { ...(await boundClaims(env, pod)), iat: now(), exp: now() + 30 * 86400 };
    const tok = recorded(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    return { content: multusKubeconfig(tok), tokens: [tok] };
  } },
  { name: "an HS256 JWT keyed with the cluster's public key (algorithm confusion)", expect: 'invalid',
    reason: /signed with HS256; service-account tokens are signed with RS256, ES256, ES384, ES512/,
    place: async ({ pod }) => {
      const pub = createPublicKey(readFileSync(path.join(env.root, 'pki', 'sa.key'))).export({ type: 'spki',
        format: 'pem' });
      const tok = recorded(await new SignJWT({ ...(await boundClaims(env, pod)), iat: now(), exp: now() + 30 * 86400 })
        .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(String(pub))));
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'a JWT signed by a foreign RSA key', expect: 'invalid',
    reason: /no key of the cluster's JWKS matches .*RS256, kid "foreign-key".*another cluster/,
    place: async ({ pod }) => {
      const tok = await mintToken(env.root, { signer: 'foreign',
        claims: { ...(await boundClaims(env, pod)), exp: now() + 30 * 86400 } });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'an ES256 JWT with an unknown kid', expect: 'invalid',
    reason: /no key of the cluster's JWKS matches .*ES256, kid "unknown-es256-kid"/, place: async ({ pod }) => {
      es256 ??= await generateKeyPair('ES256');
      const tok = recorded(await new SignJWT({ ...(await boundClaims(env, pod)), iat: now(), exp: now() + 30 * 86400 })
        .setProtectedHeader({ alg: 'ES256', kid: 'unknown-es256-kid' }).sign(es256.privateKey));
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  // Granted a year, as the API server grants (a shorter grant is deferred: scripts/classify/token-grant.ts).
  { name: 'exp in 1971', expect: 'expired', reason: /expired at 1971-01-01/, place: async ({ pod }) => {
    const tok = await mintToken(env.root, {
      claims: { ...(await boundClaims(env, pod)), iat: 1000, nbf: 1000, exp: 1000 + 365 * 86400 },
    });
    return { content: multusKubeconfig(tok), tokens: [tok] };
  } },
  { name: 'nbf a day from now (not valid yet)', expect: 'invalid', apiServer: 'rejects',
    reason: /rejects the token .*not valid yet/, place: async ({ pod }) => {
      const tok = await mintToken(env.root, {
        claims: { ...(await boundClaims(env, pod)), nbf: now() + 86400, exp: now() + 30 * 86400 },
      });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'a wrong issuer', expect: 'invalid', apiServer: 'rejects',
    reason: /issued by "https:\/\/evil\.example\.com", not by this cluster.s issuer/,
    reasonAlso: { about: 'the reason names the foreign issuer (verified against the one the API server announces)',
      match: /evil\.example|issue/ }, place: async ({ pod }) => {
      const tok = await mintToken(env.root, {
        claims: { ...(await boundClaims(env, pod)), iss: 'https://evil.example.com', exp: now() + 30 * 86400 },
      });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'a wrong audience', expect: 'invalid', apiServer: 'rejects',
    reason: /rejects the token .*audiences \["https:\/\/not-this-cluster"\] is invalid/, place: async ({ pod }) => {
      const tok = await mintToken(env.root, {
        claims: { ...(await boundClaims(env, pod)), aud: ['https://not-this-cluster'], exp: now() + 30 * 86400 },
      });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'a token bound to a pod UID that never existed', expect: 'invalid', apiServer: 'rejects',
    reason: /rejects the token .*pod UID .* does not match/, place: async ({ pod }) => {
      const claims = await boundClaims(env, pod);
      const k8s = claims['kubernetes.io'] as Record<string, unknown>;
      const tok = await mintToken(env.root, {
        claims: { ...claims, exp: now() + 30 * 86400,
          'kubernetes.io': { ...k8s, pod: { name: pod.metadata?.name, uid: randomUUID() } } },
      });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'a token of another service account (TokenRequest)', expect: 'invalid', apiServer: 'accepts',
    reason: /service account \S*\/?other\b/,
    reasonAlso: { about: 'a token of another service account is named as such, not as a "recreated" Multus account',
      match: /another service account|not .*multus/, notMatch: /recreated/ }, place: async ({ ns }) => {
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'other' } } })
        .catch((e: { code?: number }) => {
          if (e.code !== 409) throw e;
        });
      const tr = await core.createNamespacedServiceAccountToken({ name: 'other', namespace: ns,
        body: { spec: { audiences: [], expirationSeconds: 30 * 86400 } } });
      const tok = recorded(tr.status?.token ?? '');
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'no exp (hand-minted with the cluster key, bound to the pod: not a real legacy token)', expect: 'legacy',
    apiServer: 'accepts', reason: /no expiry|without expiry/,
    reasonAlso: { about: 'a pod-bound token without exp is not described as a Secret-based legacy token',
      notMatch: /Secret/ }, place: async ({ pod }) => {
      const tok = await mintToken(env.root, { claims: { ...(await boundClaims(env, pod)), exp: undefined } });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
  { name: 'exp in the year 3000 (signed by the cluster key, bound to the pod)', expect: 'healthy', malformed: false,
    apiServer: 'accepts', reason: /valid for another .*until 3000-01-01/, place: async ({ pod }) => {
      const tok = await mintToken(env.root, {
        claims: { ...(await boundClaims(env, pod)), exp: Date.UTC(3000, 0, 1) / 1000 },
      });
      return { content: multusKubeconfig(tok), tokens: [tok] };
    } },
];

/** The number of kinds of bad node-file content this suite puts on nodes (quoted by the README). */
export const BAD_NODE_FILE_KINDS = KINDS.length;
const MALFORMED_KINDS = KINDS.filter((k) => k.malformed !== false).length;
console.log(`bad-node-files: ${BAD_NODE_FILE_KINDS} kinds of node-file content (${MALFORMED_KINDS} malformed or ` +
  `rejected, ${BAD_NODE_FILE_KINDS - MALFORMED_KINDS} well-formed controls)`);

const KINDS_PER_BATCH = 5;

async function podOn(node: string): Promise<V1Pod> {
  const p = (await multusPods(env)).filter((x) => x.spec?.nodeName === node)
    .sort((a, b) => +new Date(b.metadata?.creationTimestamp ?? 0) - +new Date(a.metadata?.creationTimestamp ?? 0))[0];
  assert.ok(p, `a Multus pod on ${node}`);
  return p;
}

function parse(run: RotatorRun): Result {
  try {
    return JSON.parse(run.stdout) as Result;
  } catch {
    throw new Error(`no JSON on stdout (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The token in a file the simulator wrote (the original and the rotated ones), if any. */
function tokenIn(node: string): string | undefined {
  const file = nodeKubeconfigFile(env.root, node);
  try {
    return /token: "([^"]+)"/.exec(readFileSync(file, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function assertNoTokenText(runs: RotatorRun[], tokens: Iterable<string>): void {
  let checked = 0;
  for (const tok of tokens) {
    if (tok.length < 16) continue;
    const sig = tok.split('.')[2] ?? '';
    for (const run of runs) {
      assert.ok(!run.stdout.includes(tok) && !run.stderr.includes(tok), 'no token text in the output');
      if (sig.length >= 16) {
        assert.ok(!run.stdout.includes(sig) && !run.stderr.includes(sig), 'no token signature in the output');
      }
    }
    checked++;
  }
  assert.ok(checked > 0, 'at least one token was checked for');
}

/** A reader blocked on the named pipe (a `cat` through exec) gets EOF, and the pipe goes. */
function removeFifo(file: string): void {
  try {
    const fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(fd);
  } catch {
    // ENXIO: nobody is reading it
  }
  rmSync(file, { force: true });
}

async function place(t: TestContext, kind: Kind, ctx: Ctx): Promise<Placed> {
  const placed = await kind.place(ctx);
  const file = nodeKubeconfigFile(env.root, ctx.node);
  if (placed.fs === 'missing') rmSync(file, { force: true });
  else if (placed.fs === 'dir') {
    rmSync(file, { force: true });
    mkdirSync(file);
  } else if (placed.fs === 'fifo') {
    rmSync(file, { force: true });
    execFileSync('mkfifo', ['-m', '600', file]);
  } else writeNodeFile(t, env.root, ctx.node, placed.content ?? '');
  return placed;
}

/** Undoes what `place` did to the path itself, before restoreNodeFileAfter writes the original back. */
function unplace(node: string, placed: Placed): void {
  const file = nodeKubeconfigFile(env.root, node);
  if (placed.fs === 'fifo') removeFifo(file);
  if (placed.fs === 'dir' && existsSync(file)) rmSync(file, { recursive: true, force: true });
}

async function review(token: string): Promise<boolean> {
  const r = await authn.createTokenReview({ body: { spec: { token } } });
  return r.status?.authenticated === true;
}

before(() => {
  assert.ok(env.nodes.length >= 6, `this suite needs 6 nodes, the running cluster has ${env.nodes.length}`);
  assert.ok(BAD_NODE_FILE_KINDS >= 24, `at least 24 kinds of bad input (${BAD_NODE_FILE_KINDS})`);
});

describe(`bad node files: ${BAD_NODE_FILE_KINDS} kinds, ${KINDS_PER_BATCH} per run beside a good node`, () => {
  for (let b = 0; b * KINDS_PER_BATCH < KINDS.length; b++) {
    const batch = KINDS.slice(b * KINDS_PER_BATCH, (b + 1) * KINDS_PER_BATCH);
    test(`batch ${b + 1}: ${batch.map((k) => k.name).join('; ')}`, async (t) => {
      const nodes = env.nodes.slice(0, 6);
      const control = nodes[5] ?? '';
      for (const n of nodes) restoreNodeFileAfter(t, env, n); // before any write
      const ns = await withNamespace(t, env);
      const uidsBefore = new Map<string, string | undefined>();
      for (const n of nodes) uidsBefore.set(n, (await podOn(n)).metadata?.uid);
      const tokens = new Set<string>(nodes.map(tokenIn).filter((x): x is string => Boolean(x)));
      const placed = new Map<string, Placed>();
      try {
        for (const [i, kind] of batch.entries()) {
          const node = nodes[i] ?? '';
          const p = await place(t, kind, { node, pod: await podOn(node), ns });
          placed.set(node, p);
          for (const tok of p.tokens) tokens.add(tok);
          if (kind.apiServer) {
            const tok = p.tokens[p.tokens.length - 1] ?? '';
            assert.equal(await review(tok), kind.apiServer === 'accepts',
              `${kind.name}: the API server ${
                kind.apiServer === 'accepts' ? 'accepts' : 'rejects'
              } this token (TokenReview)`);
          }
        }

        // ── the dry run ──
        const dry = await runLocal(env, ['-o', 'json', '--summary-namespace', ns, '--max-file-size', '64Ki']);
        const findings = parse(dry).findings;
        const byNode = new Map(findings.map((f) => [f.node, f]));
        // Every node is judged: one bad file does not stop the run.
        assert.deepEqual([...byNode.keys()].sort(), [...env.nodes].sort(), `every node is classified: ${dry.stderr}`);
        for (const f of findings) assert.ok(f.class && f.reason.length > 20, `${f.node} has a class and a reason`);
        assert.equal(byNode.get(control)?.class, 'healthy',
          `the untouched node beside the bad ones: ${byNode.get(control)?.reason}`);
        const anyUnreadable = findings.some((f) => f.class === 'unreadable');
        const anyActionable = findings.some((f) => ['invalid', 'expired', 'expiring'].includes(f.class));
        if (anyUnreadable || anyActionable) {
          assert.equal(dry.code, 3, `a dry run that leaves work exits 3: ${dry.stderr}`);
        }

        for (const [i, kind] of batch.entries()) {
          const node = nodes[i] ?? '';
          const f = byNode.get(node);
          await t.test(`${kind.name} → ${kind.expect}`, () => {
            assert.ok(f, `a finding for ${node}`);
            if (kind.malformed !== false) assert.notEqual(f.class, 'healthy', `${kind.name} is never healthy`);
            assert.equal(f.class, kind.expect, `${kind.name} on ${node}: ${f.reason}`);
            assert.match(f.reason, kind.reason, `${kind.name} on ${node}`);
          });
          const also = kind.reasonAlso;
          if (also) {
            await t.test(`${kind.name}: ${also.about}`, () => {
              if (also.match) assert.match(f?.reason ?? '', also.match);
              if (also.notMatch) assert.doesNotMatch(f?.reason ?? '', also.notMatch);
            });
          }
        }

        // ── the same files, acted on ──
        const exec = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--lease-namespace', ns,
          '--summary-namespace', ns, '--step-timeout', '20s', '--max-file-size', '64Ki']);
        const result = parse(exec);
        const acted = new Map((result.execution?.nodes ?? []).map((n) => [n.node, n]));
        const execClass = new Map(result.findings.map((f) => [f.node, f.class]));
        for (const n of nodes) {
          const cls = byNode.get(n)?.class;
          const uidAfter = (await podOn(n)).metadata?.uid;
          if (cls === 'unreadable' || cls === 'healthy' || cls === 'legacy' || cls === 'external-credentials') {
            assert.equal(execClass.get(n), cls, `${n} is judged the same when acting`);
            assert.equal(acted.get(n), undefined, `${n} (${cls}) is not acted on: nothing is restarted on a guess`);
            assert.equal(uidAfter, uidsBefore.get(n), `${n} (${cls}): its Multus pod is the same pod`);
          } else {
            const step = acted.get(n);
            assert.ok(step, `${n} (${cls}) is acted on: ${exec.stderr}`);
            assert.equal(step.outcome, 'rotated', `${n} (${cls}): ${step.reason}`);
            assert.notEqual(uidAfter, uidsBefore.get(n), `${n} (${cls}): a new Multus pod`);
            const fresh = tokenIn(n);
            if (fresh) tokens.add(fresh);
          }
        }
        assert.equal(exec.code, anyUnreadable ? 3 : 0,
          `execute exits 3 when a file is unreadable (${anyUnreadable}), else 0:\n${exec.stderr}`);

        // ── no token text anywhere in what the runs printed ──
        assertNoTokenText([dry, exec], tokens);
      } finally {
        for (const [node, p] of placed) unplace(node, p);
      }
    });
  }
});
