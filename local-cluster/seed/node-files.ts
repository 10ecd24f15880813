// Puts chosen content into a simulated node's /etc/cni/net.d/multus.d/multus.kubeconfig: a token this cluster's
// service-account key signed with the claims and `exp` a test wants, one signed by a foreign key, a real legacy
// token, or garbage. Each write is undone when the test ends.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanup } from './cleanup.ts';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { kubectlPath, nodeKubeconfigFile, PORTS } from '../cluster.ts';
import { multusKubeconfigText } from '../multus-kubeconfig.ts';
import { recordMintedToken } from './token-log.ts';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function readNodeFile(root: string, node: string): Buffer {
  return readFileSync(nodeKubeconfigFile(root, node));
}

/**
 * Writes the node's file. Pair it with restoreNodeFileAfter() (support/multus.ts), called before the write, which
 * puts the original back only if the node's Multus pod is still the one it was bound to.
 */
export function writeNodeFile(_t: Cleanup, root: string, node: string, content: string | Uint8Array): void {
  writeFileSync(nodeKubeconfigFile(root, node), content, { mode: 0o600 });
  forgetRotatorFacts(root);
}

/**
 * A test that writes a node's file behind Multus's back changes what no Multus pod, service account or key shows: the
 * rotator's facts of its last reads (ConfigMaps labelled component=facts, scan/known-store.ts) would let the next run
 * judge the node from its last read. Forgets them in every namespace, so that the next run reads every node. (In a
 * real cluster the file changes only when a Multus container starts.)
 */
export function forgetRotatorFacts(root: string): void {
  execFileSync(kubectlPath(), ['--kubeconfig', path.join(root, 'kubeconfig'), 'delete', 'configmaps', '-A', '-l',
    'app.kubernetes.io/component=facts', '--ignore-not-found', '--wait=false'], { stdio: 'pipe' });
}

/** The 3.x entrypoint's shape, with any token. */
/** The kubeconfig shape the 3.x entrypoint writes, with the server as the nodes' Multus reaches it ([::1]). */
export function multusKubeconfig(token: string, server = `https://[::1]:${PORTS.apiserver}`): string {
  return multusKubeconfigText({ token, server });
}

function clusterKey(root: string): { key: KeyObject; kid: string } {
  const key = createPrivateKey(readFileSync(path.join(root, 'pki', 'sa.key')));
  // The API server's key id: base64url(sha256(DER of the public key in PKIX form)).
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return { key, kid: createHash('sha256').update(der).digest('base64url') };
}

let foreign: Promise<{ key: webcrypto.CryptoKey | KeyObject; kid: string }> | undefined;

export interface MintOptions {
  /** 'cluster' signs with this API server's key; 'foreign' with a key it never published. */
  signer?: 'cluster' | 'foreign';
  /** Claims to set or override; `exp: undefined` removes exp. */
  claims?: JWTPayload & Record<string, unknown>;
}

/** Mints a service-account-shaped JWT (RS256) with the given claims. */
export async function mintToken(root: string, opts: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const base: Record<string, unknown> = {
    iss: ISSUER,
    aud: [ISSUER],
    sub: 'system:serviceaccount:kube-system:multus',
    iat: now,
    nbf: now,
    exp: now + 3600,
  };
  const claims = { ...base, ...(opts.claims ?? {}) };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  let signer: { key: webcrypto.CryptoKey | KeyObject; kid: string };
  if (opts.signer === 'foreign') {
    foreign ??= generateKeyPair('RS256').then((kp) => ({ key: kp.privateKey, kid: 'foreign-key' }));
    signer = await foreign;
  } else {
    signer = clusterKey(root);
  }
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signer.kid }).sign(signer.key);
  recordMintedToken(token, root);
  return token;
}

/** A real legacy (secret-based) token of a service account: no exp, issuer kubernetes/serviceaccount. */
export async function legacyToken(kc: KubeConfig, namespace: string, serviceAccount: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${serviceAccount}-legacy-token`;
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name, annotations: { 'kubernetes.io/service-account.name': serviceAccount } },
      type: 'kubernetes.io/service-account-token',
    },
  }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const s = await core.readNamespacedSecret({ name, namespace });
    const token = s.data?.token;
    if (token) {
      const text = Buffer.from(token, 'base64').toString('utf8');
      recordMintedToken(text);
      return text;
    }
    await sleep(100);
  }
  throw new Error(`the token controller did not fill secret ${namespace}/${name} within 30s`);
}
