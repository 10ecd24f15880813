// Decide, per node, what state its Multus token is in. Pure: `now` is data. The first rule that applies wins.
import type { NodeFinding, NodeScan, TokenClass } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';
import { formatInstant } from '../shared/time-format.ts';

export interface ClassifyOptions {
  now: number;
  expiringWithinMs: number;
}

export function classifyNode(scan: NodeScan, opts: ClassifyOptions): NodeFinding {
  const pod = scan.multusPod;
  const base: NodeFinding = {
    node: scan.node,
    multusPod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
    class: 'healthy',
    reason: '',
  };
  const finding = (cls: TokenClass, reason: string): NodeFinding => ({ ...base, class: cls, reason });

  if (pod.mode === 'thick') {
    return finding(
      'self-refreshing',
      `Multus on this node runs the thick plugin (multus-daemon), which re-reads its service-account token itself; nothing to rotate`,
    );
  }
  if (pod.mode === 'thin-token-watch') {
    return finding(
      'self-refreshing',
      `Multus on this node is a 4.x thin plugin with its token watch (--cleanup-config-on-exit), which rewrites the kubeconfig itself; nothing to rotate`,
    );
  }

  if (scan.file.status === 'unreadable') {
    return finding('unreadable',
      `the kubeconfig ${scan.file.path} in pod ${pod.name} could not be read: ${scan.file.reason}`);
  }
  base.readVia = scan.file.via;

  const content = scan.content;
  if (content === undefined) {
    return finding(
      'unreadable',
      `the kubeconfig ${scan.file.path} in pod ${pod.name} was read but its content was not recorded; run again, and report a bug if it persists`,
    );
  }
  if (content.status === 'external-credentials') {
    return finding(
      'external-credentials',
      `${content.reason}: Multus on this node does not use a token copied into the file, so there is nothing to judge or rotate; never acted on`,
    );
  }
  if (content.status === 'malformed') {
    return finding('invalid',
      `the kubeconfig on the node is malformed: ${content.reason}; restarting the Multus pod rewrites it`);
  }

  const token = content.token;
  const claims = token.claims;
  base.fingerprint = token.fingerprint;
  base.claims = claims;
  base.signature = token.signature.status;
  base.review = token.review.status;
  // The boundary: JWT seconds become Millis here, once; the time left is judged here, once.
  const expiresAt = claims.exp === undefined ? undefined : claims.exp * 1000;
  const left = expiresAt === undefined ? undefined : expiresAt - opts.now;
  if (expiresAt !== undefined) {
    base.expiresAt = expiresAt;
    base.timeLeftMs = left;
  }
  const named = `the token ${token.fingerprint}`;

  if (expiresAt !== undefined && left !== undefined && left <= 0) {
    return finding(
      'expired',
      `${named} expired at ${formatInstant(expiresAt, 'seconds')} (${
        formatDuration(-left)
      } ago); Multus on this node can no longer reach the API server until its pod is restarted`,
    );
  }
  // TokenReview, the API server's own judgement, wins where the JWKS cannot tell: during an issuer migration (several
  // --service-account-issuer) a token signed by the cluster's keys under an older issuer is still accepted, and a key
  // id the JWKS lacks even when read again (API servers mid-rotation) is no proof of a foreign token.
  const sig = token.signature;
  const accepted = token.review.status === 'authenticated';
  const olderIssuer = sig.status === 'invalid' && sig.otherIssuer !== undefined && accepted ? sig.otherIssuer
    : undefined;
  const unknownKey = sig.status === 'invalid' && sig.unknownKey === true && accepted;
  if (sig.status === 'invalid' && olderIssuer === undefined && !unknownKey) {
    return finding('invalid', `${sig.reason}; restarting the Multus pod writes a token from this cluster`);
  }
  const issuerNote = olderIssuer !== undefined
    ? ` (issued by "${olderIssuer}", not the announced issuer, and accepted by the API server: an issuer migration)`
    : unknownKey
    ? ` (its key id is not in the cluster's JWKS, even read again, but the API server accepts it: TokenReview wins)`
    : '';
  if (token.review.status === 'rejected') {
    return finding(
      'invalid',
      `the API server rejects ${named}: ${token.review.reason}; restarting the Multus pod writes a fresh token`,
    );
  }
  if (claims.podUid !== undefined && claims.podUid !== pod.uid) {
    return finding(
      'invalid',
      `${named} is bound to pod ${
        claims.podName ?? '(unnamed)'
      } (uid ${claims.podUid}), not to this node's Multus pod ${pod.name} (uid ${pod.uid}); a token bound to a pod that is gone is invalidated by the API server; restart ${pod.name} to write a fresh one`,
    );
  }
  const podSa = `${pod.namespace}/${pod.serviceAccountName}`;
  const tokenSa = claims.serviceAccountName === undefined ? undefined
    : `${claims.namespace ?? pod.namespace}/${claims.serviceAccountName}`;
  if (tokenSa !== undefined && tokenSa !== podSa) {
    return finding(
      'invalid',
      `${named} belongs to service account ${tokenSa}, not to the Multus pod's service account ${podSa}; Multus would act with the wrong identity; restart ${pod.name} to write its own token`,
    );
  }
  if (
    claims.serviceAccountUid !== undefined &&
    scan.serviceAccountUid !== undefined &&
    claims.serviceAccountUid !== scan.serviceAccountUid
  ) {
    return finding(
      'invalid',
      `${named} belongs to service account ${
        claims.serviceAccountName ?? pod.serviceAccountName
      } with uid ${claims.serviceAccountUid}, but that service account was recreated (uid now ${scan.serviceAccountUid}), so the API server rejects the token; restart ${pod.name} to write a fresh one`,
    );
  }
  if (expiresAt === undefined && claims.podUid !== undefined) {
    return finding(
      'legacy',
      `${named} is bound to pod ${claims.podName ?? pod.name} but has no expiry (issuer ${
        claims.iss ?? 'unknown'
      }): not written by Multus's entrypoint; it stays valid until that pod is deleted; restart ${pod.name} if this was not intended`,
    );
  }
  if (expiresAt === undefined || left === undefined) {
    return finding(
      'legacy',
      `legacy token without expiry (${named}, issuer ${
        claims.iss ?? 'unknown'
      }): there is nothing to rotate, it stays valid until its Secret or service account is deleted; prefer a bound, expiring token if this was not intended`,
    );
  }
  if (left < opts.expiringWithinMs) {
    return finding(
      'expiring',
      `${named} expires at ${formatInstant(expiresAt, 'seconds')}, in ${formatDuration(left)} (less than the ${
        formatDuration(opts.expiringWithinMs)
      } of --expiring-within); restarting the Multus pod writes a fresh one`,
    );
  }
  return finding('healthy',
    `${named} is valid for another ${formatDuration(left)} (until ${
      formatInstant(expiresAt, 'seconds')
    })${issuerNote}`);
}
