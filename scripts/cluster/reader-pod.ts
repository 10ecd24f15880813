// The short-lived read-only reader pod, fully determined by the node, the image, the file and the read timeout.
// rbac.yaml's admission policy (multus-token-rotator) admits exactly this shape from the job's service account and
// nothing else; a change here needs the same change there (test/unit/cluster/reader-pod.test.ts compares them, and
// test/e2e/reliability/least-privilege.test.ts sends this pod and one-field variants of it to the API server).
//
// Why each field:
// - hostNetwork: the pod must start on a broken node, whose CNI ADD fails (Multus cannot reach the API server with
//   its rejected token). A host-network pod gets no network sandbox, so the kubelet never calls CNI for it.
// - tolerations [{operator: Exists}] and nodeName: placed directly on the node whose file is read, whatever its
//   taints (not-ready, network-unavailable, NoExecute); the scheduler is not involved.
// - command `sleep N`, where N is also activeDeadlineSeconds: the container only waits; the file is read by
//   `kubectl exec … cat <path>` (pods/exec, allowed by the exec policy for this exact path only). The container does
//   not `cat` the file itself: its output would land in the container log on the node, where log shippers collect
//   it — a token written to a log.
// - user 0 with every capability dropped, no privilege escalation: Multus writes the file 0600 root:root (3.x
//   `chmod ${KUBECONFIG_MODE:-600}`, 4.x `os.OpenFile(…, 0600)`); only its owner can read it, and uid 0 without
//   CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH reads what uid 0 owns and nothing more. A non-root reader would never read
//   the file on a real node. What it can read is bounded by the mount, not the user: one directory, read-only.
// - one hostPath: the directory that holds the file (…/multus.d), read-only, at the same path as in the Multus
//   container, so the path read is the configured one; not the whole CNI directory (other plugins' kubeconfigs).
// - image pinned by digest (--reader-image must carry @sha256:…), no service-account token, read-only root
//   filesystem, RuntimeDefault seccomp, no service links, small resource limits.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';

export const READER_LABEL = 'multus-token-rotator-reader';
export const READER_CONTAINER = 'reader';

export interface ReaderPodInput {
  namespace: string;
  node: string;
  image: string;
  /** The Multus pod's hostPath volume that holds the file, and where the Multus container mounts it. */
  hostPath: string;
  mountPath: string;
  /** The configured path of the file inside the Multus container (under mountPath). */
  filePath: string;
  timeoutMs: number;
}

/** Seconds the pod may live (and sleep): four read timeouts, at least 30 s, at most 300 s (the policy's cap). */
export function readerDeadlineSeconds(timeoutMs: number): number {
  return Math.min(300, Math.max(30, Math.ceil(timeoutMs / 1000) * 4));
}

/** The host directory holding the file, and where it is mounted (the file's directory in the Multus container). */
export function readerMount(
  input: Pick<ReaderPodInput, 'hostPath' | 'mountPath' | 'filePath'>,
): { hostDir: string; mountDir: string } {
  const mountDir = path.posix.dirname(input.filePath);
  const rel = path.posix.relative(input.mountPath, mountDir);
  if (rel.startsWith('..') || path.posix.isAbsolute(rel)) {
    throw new Error(`${input.filePath} is not under the Multus container's mount ${input.mountPath}`);
  }
  return { hostDir: path.posix.join(input.hostPath, rel), mountDir };
}

export function readerPodName(): string {
  return `mtr-reader-${randomBytes(4).toString('hex')}`;
}

export function readerPod(input: ReaderPodInput, name = readerPodName()): V1Pod {
  const deadline = readerDeadlineSeconds(input.timeoutMs);
  const { hostDir, mountDir } = readerMount(input);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: input.namespace,
      labels: { 'app.kubernetes.io/name': READER_LABEL, 'app.kubernetes.io/managed-by': 'multus-token-rotator' },
    },
    spec: {
      nodeName: input.node,
      hostNetwork: true,
      tolerations: [{ operator: 'Exists' }],
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadline, // gone even if the job dies
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: READER_CONTAINER,
        image: input.image,
        command: ['sleep', String(deadline)],
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '50m', memory: '32Mi' } },
        securityContext: { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'multus-dir', mountPath: mountDir, readOnly: true }],
      }],
      volumes: [{ name: 'multus-dir', hostPath: { path: hostDir, type: 'Directory' } }],
    },
  };
}
