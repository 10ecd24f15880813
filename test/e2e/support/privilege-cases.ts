// The field-by-field cases of least privilege, shared by the install in another namespace
// (least-privilege.test.ts) and the Multus layouts (least-privilege-layouts.test.ts): the reader pod with one field
// changed, and the exec forms, each of which the policy must refuse by the rule that names it.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';

/** The message of a Status body (JSON escapes <, > and &), or the body itself. */
export function messageOf(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

// RBAC allows creating pods in kube-system (for the reader pod); nothing in RBAC can say which pod. rbac.yaml's
// admission policy admits exactly the pod scripts/cluster/reader-pod.ts builds. Each case below is that admitted pod
// with ONE field changed, sent with dryRun=All (nothing starts), and must be refused by the rule that names that
// field: a case that is refused for any other reason fails. The unchanged pod is admitted first, so each refusal
// can only come from the field that differs.
type Spec = NonNullable<V1Pod['spec']>;
type Container = Spec['containers'][number];
export const ctr = (p: V1Pod): Container => p.spec?.containers[0] as Container;
export const RULE = {
  namespace: /only in the Multus namespace/,
  containers: /exactly one container/,
  name: /name mtr-reader-<8 hex>/,
  image: /the image must be the pinned reader image/,
  command: /the command must be sleep/,
  volume: /one volume, the hostPath MTR_HOST_DIR/,
  mount: /the one mount must be read-only/,
  token: /no service-account token/,
  host: /hostNetwork true/,
  user: /the user must be uid 0/,
  privilege: /not privileged, no privilege escalation/,
  rootfs: /read-only root filesystem/,
  confinement: /RuntimeDefault seccomp, no SELinux/,
  extras: /no env, envFrom, hooks/,
  placement: /placed by nodeName/,
} as const;
/** [what differs, how, the rule that must refuse it] */
export const ONE_FIELD: [string, (p: V1Pod) => void, RegExp][] = [
  ["hostPath / (the node's root)", (p) => {
    p.spec!.volumes![0]!.hostPath!.path = '/';
  }, RULE.volume],
  ['hostPath /etc/kubernetes (PKI, admin kubeconfig)', (p) => {
    p.spec!.volumes![0]!.hostPath!.path = '/etc/kubernetes';
  }, RULE.volume],
  ["hostPath /etc/cni/net.d (the whole CNI directory: other plugins' kubeconfigs)", (p) => {
    p.spec!.volumes![0]!.hostPath!.path = '/etc/cni/net.d';
  }, RULE.volume],
  ['hostPath type DirectoryOrCreate', (p) => {
    p.spec!.volumes![0]!.hostPath!.type = 'DirectoryOrCreate';
  }, RULE.volume],
  ['a second volume (emptyDir)', (p) => {
    p.spec!.volumes!.push({ name: 'scratch', emptyDir: {} });
  }, RULE.volume],
  ['another image (the same busybox by tag)', (p) => {
    ctr(p).image = 'docker.io/library/busybox:1.37.0';
  }, RULE.image],
  ['another image (another digest)', (p) => {
    ctr(p).image = `docker.io/library/busybox@sha256:${'0'.repeat(64)}`;
  }, RULE.image],
  ['another command (a shell)', (p) => {
    ctr(p).command = ['sh', '-c', 'cat /host/etc/cni/net.d/multus.d/multus.kubeconfig; sleep 60'];
  }, RULE.command],
  ['the command plus args', (p) => {
    ctr(p).args = ['extra'];
  }, RULE.command],
  ['no activeDeadlineSeconds', (p) => {
    delete p.spec!.activeDeadlineSeconds;
  }, RULE.command],
  ['a day-long deadline (sleep 86400)', (p) => {
    p.spec!.activeDeadlineSeconds = 86400;
    ctr(p).command = ['sleep', '86400'];
  }, RULE.command],
  ['restartPolicy Always', (p) => {
    p.spec!.restartPolicy = 'Always';
  }, RULE.command],
  ['a writable mount', (p) => {
    ctr(p).volumeMounts![0]!.readOnly = false;
  }, RULE.mount],
  ['the mount at another path', (p) => {
    ctr(p).volumeMounts![0]!.mountPath = '/host';
  }, RULE.mount],
  ['a subPath', (p) => {
    ctr(p).volumeMounts![0]!.subPath = 'sub';
  }, RULE.mount],
  ['mount propagation HostToContainer', (p) => {
    ctr(p).volumeMounts![0]!.mountPropagation = 'HostToContainer';
  }, RULE.mount],
  ['a service-account token (automount true)', (p) => {
    p.spec!.automountServiceAccountToken = true;
  }, RULE.token],
  ['a powerful service account (generic-garbage-collector)', (p) => {
    p.spec!.serviceAccountName = 'generic-garbage-collector';
  }, RULE.token],
  ['no hostNetwork (it could not start on a broken node)', (p) => {
    p.spec!.hostNetwork = false;
  }, RULE.host],
  ['hostPID', (p) => {
    p.spec!.hostPID = true;
  }, RULE.host],
  ['hostIPC', (p) => {
    p.spec!.hostIPC = true;
  }, RULE.host],
  ['a host port', (p) => {
    ctr(p).ports = [{ containerPort: 10250 }];
  }, RULE.host],
  ["another user (uid 1000: not the file's owner)", (p) => {
    p.spec!.securityContext!.runAsUser = 1000;
  }, RULE.user],
  ["the image's default user (runAsUser unset)", (p) => {
    delete p.spec!.securityContext!.runAsUser;
  }, RULE.user],
  ['supplemental group 0', (p) => {
    p.spec!.securityContext!.supplementalGroups = [0];
  }, RULE.user],
  // The API server's own validation refuses privileged with allowPrivilegeEscalation false: both fields, one rule.
  ['privileged (and escalation no longer forbidden)', (p) => {
    ctr(p).securityContext!.privileged = true;
    delete ctr(p).securityContext!.allowPrivilegeEscalation;
  }, RULE.privilege],
  ['a capability (DAC_READ_SEARCH: read any file)', (p) => {
    ctr(p).securityContext!.capabilities!.add = ['DAC_READ_SEARCH'];
  }, RULE.privilege],
  ['capabilities not dropped', (p) => {
    delete ctr(p).securityContext!.capabilities;
  }, RULE.privilege],
  ['privilege escalation allowed', (p) => {
    ctr(p).securityContext!.allowPrivilegeEscalation = true;
  }, RULE.privilege],
  ['a writable root filesystem', (p) => {
    ctr(p).securityContext!.readOnlyRootFilesystem = false;
  }, RULE.rootfs],
  ['seccomp Unconfined', (p) => {
    p.spec!.securityContext!.seccompProfile = { type: 'Unconfined' };
  }, RULE.confinement],
  ['SELinux type spc_t (super-privileged container)', (p) => {
    p.spec!.securityContext!.seLinuxOptions = { type: 'spc_t' };
  }, RULE.confinement],
  ['AppArmor Unconfined', (p) => {
    ctr(p).securityContext!.appArmorProfile = { type: 'Unconfined' };
  }, RULE.confinement],
  ['environment from a Secret', (p) => {
    ctr(p).envFrom = [{ secretRef: { name: 'any' } }];
  }, RULE.extras],
  ['stdin and a TTY', (p) => {
    ctr(p).stdin = true;
    ctr(p).tty = true;
  }, RULE.extras],
  ['a postStart hook', (p) => {
    ctr(p).lifecycle = { postStart: { exec: { command: ['sh', '-c', 'id'] } } };
  }, RULE.extras],
  ['a second container', (p) => {
    p.spec!.containers.push({ ...ctr(p), name: 'second' });
  }, RULE.containers],
  ['an init container', (p) => {
    p.spec!.initContainers = [{ ...ctr(p), name: 'init' }];
  }, RULE.containers],
  ['another name (not mtr-reader-…)', (p) => {
    p.metadata!.name = 'kube-multus-ds-abcde';
  }, RULE.name],
  ['an annotation', (p) => {
    p.metadata!.annotations = { 'example.com/x': 'y' };
  }, RULE.name],
  ['a finalizer (a pod that cannot be deleted)', (p) => {
    p.metadata!.finalizers = ['example.com/keep'];
  }, RULE.name],
  ['no nodeName (scheduled anywhere)', (p) => {
    delete p.spec!.nodeName;
  }, RULE.placement],
  ['system-node-critical priority (the kubelet evicts others for it)', (p) => {
    p.spec!.priorityClassName = 'system-node-critical';
  }, RULE.placement],
];

/** Each one-field variant of `base` sent with dryRun=All: what was not refused by its own rule (empty: all were). */
export async function readerRefusals(core: CoreV1Api, namespace: string, base: V1Pod): Promise<string[]> {
  const wrong: string[] = [];
  for (const [what, change, rule] of ONE_FIELD) {
    const pod = structuredClone(base);
    change(pod);
    const err = await core.createNamespacedPod({ namespace, dryRun: 'All', body: pod })
      .then(() => undefined, (e: unknown) => e);
    const body = messageOf(String((err as { body?: unknown } | undefined)?.body ?? ''));
    if (err === undefined) wrong.push(`${what}: ADMITTED`);
    else if (!/ValidatingAdmissionPolicy 'multus-token-rotator'/.test(body) || !rule.test(body) ||
      Object.values(RULE).some((r) => r !== rule && r.test(body))) {
      wrong.push(`${what}: not refused for that one reason: ${body}`);
    }
  }
  return wrong;
}

export interface ExecRequest {
  pod?: string;
  container?: string;
  command: string[];
  extra?: string;
}

/**
 * The exec forms the exec policy must refuse, each with the rule that must refuse it, for a Multus pod whose container
 * is `container` and whose file is `path`; `victim` is a non-Multus pod in the same namespace with a container of that
 * name.
 */
export function execCases(path: string, victim: string): [string, ExecRequest, RegExp][] {
  return [
    ['cat of another kubeconfig in the CNI directory', {
      command: ['cat', '/host/etc/cni/net.d/whereabouts.d/whereabouts.kubeconfig'],
    }, /exact configured path/],
    ['cat of a path that only ends like it', { command: ['cat', '/etc/kubernetes/admin.kubeconfig'] },
      /exact configured path/],
    ['the path through ..', {
      command: ['cat', '/host/etc/cni/net.d/multus.d/../../../../etc/kubernetes/admin.kubeconfig'],
    }, /exact configured path/],
    ['a shell', { command: ['sh', '-c', `cat ${path}`] }, /exact configured path/],
    ['cat with two files', { command: ['cat', path, '/etc/shadow'] }, /exact configured path/],
    ['another container of the Multus pod', { container: 'install-cni', command: ['cat', path] },
      /only into a Multus pod's container/],
    ['a pod that is not Multus', { pod: victim, command: ['cat', path] }, /only into a Multus pod's container/],
    ['stdin', { command: ['cat', path], extra: '&stdin=true' }, /no stdin, no TTY/],
    ['a TTY', { command: ['cat', path], extra: '&tty=true' }, /no stdin, no TTY/],
  ];
}

/** The query of a plain POST to pods/exec (no Upgrade: admitted, the API server answers 400, and nothing runs). */
export function execPath(namespace: string, pod: string, container: string, o: ExecRequest): string {
  const cmd = o.command.map((c) => `command=${encodeURIComponent(c)}`).join('&');
  return `/api/v1/namespaces/${namespace}/pods/${o.pod ?? pod}/exec?container=${o.container ?? container}` +
    `&${cmd}&stdout=true${o.extra ?? ''}`;
}

export type Post = (path: string) => Promise<{ status: number; body: string }>;

/** Each refused exec form posted: what was not refused by the exec policy's rule for it (empty: all were). */
export async function execRefusals(post: Post, namespace: string, pod: string, container: string, path: string,
  victim: string): Promise<string[]> {
  const wrong: string[] = [];
  for (const [what, o, rule] of execCases(path, victim)) {
    const r = await post(execPath(namespace, pod, container, o));
    const msg = messageOf(r.body);
    if (![403, 422].includes(r.status) || !/ValidatingAdmissionPolicy 'multus-token-rotator-exec'/.test(msg) ||
      !rule.test(msg)) {
      wrong.push(`${what}: ${r.status} ${msg.slice(0, 300)}`);
    }
  }
  return wrong;
}
