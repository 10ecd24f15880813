// Nodes and pods the size a kubelet-managed cluster stores them (issue 19 item 4: the scale bench stops flattering
// us). Until then the bench's pods were written into etcd with the few fields kwok needs (~1.3 KB of JSON) and its
// nodes were what kwok makes of a bare object (~1.6 KB). A real cluster's objects carry, field for field:
//   - a node: the labels and annotations kubeadm, the kubelet and the cloud provider set; the kubelet's status
//     (pkg/kubelet/nodestatus/setters.go: addresses, capacity and allocatable with ephemeral-storage and hugepages,
//     the four conditions with heartbeat times and messages, daemonEndpoints, nodeInfo, up to 50 images with their
//     digests and tags — nodeStatusMaxImages' default —, runtimeHandlers, features); managedFields for the kubelet
//     (object and status), kube-controller-manager and kubeadm;
//   - a Deployment's pod: generateName, the pod-template-hash label, its ReplicaSet owner, the ServiceAccount
//     admission plugin's `kube-api-access-*` projected volume (token 3607 s, kube-root-ca.crt, namespace) and its
//     mount, the default tolerations (not-ready, unreachable: 300 s), a container with ports, env and probes; the
//     kubelet's status (five conditions, containerStatuses with containerID, imageID digest, volumeMounts, user);
//     managedFields for kube-controller-manager (spec) and the kubelet (status).
// The sizes, as the API server returns them, are measured by the bench after setup and written to RESULTS.md.
import { createHash } from 'node:crypto';

const hex = (seed: string, n = 64) => createHash('sha256').update(seed).digest('hex').slice(0, n);
const f = (obj: Record<string, unknown>) => obj; // fieldsV1 literal

/** A kubelet's node object, beside what the bench needs (labels, the kwok annotation, the pod CIDR). */
export function realisticNode(
  o: { name: string; index: number; labels: Record<string, string>; annotations: Record<string, string>;
    podCIDR: string; created: string },
): Record<string, unknown> {
  const zone = `zone-${'abc'[o.index % 3] ?? 'a'}`;
  const labels = { ...o.labels, 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/instance-type': 'm6i.2xlarge', 'node.kubernetes.io/instance-type': 'm6i.2xlarge',
    'topology.kubernetes.io/region': 'region-1', 'topology.kubernetes.io/zone': zone,
    'failure-domain.beta.kubernetes.io/region': 'region-1', 'failure-domain.beta.kubernetes.io/zone': zone };
  const annotations = { ...o.annotations,
    'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    'csi.volume.kubernetes.io/nodeid': JSON.stringify({ 'ebs.csi.aws.com': `i-${hex(o.name, 17)}` }) };
  const images = Array.from({ length: 50 }, (_, k) => {
    const repo = `registry.example.com/team-${k % 7}/service-${k}`;
    return { names: [`${repo}@sha256:${hex(`${repo}${k}`)}`, `${repo}:v1.${k}.${k % 4}`],
      sizeBytes: 20_000_000 + k * 3_141_592 };
  });
  const cond = (type: string, reason: string, message: string, status = 'False') => ({ type, status,
    lastHeartbeatTime: o.created, lastTransitionTime: o.created, reason, message });
  const mf = (manager: string, fields: Record<string, unknown>, subresource?: string) => ({ manager,
    operation: 'Update', apiVersion: 'v1', time: o.created, fieldsType: 'FieldsV1', fieldsV1: fields,
    ...(subresource ? { subresource } : {}) });
  const labelFields = Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}]));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: o.name, labels, annotations, managedFields: [
      mf('kubeadm', f({ 'f:metadata': { 'f:annotations': { 'f:kubeadm.alpha.kubernetes.io/cri-socket': {} } } })),
      mf('kube-controller-manager',
        f({ 'f:metadata': { 'f:annotations': { 'f:node.alpha.kubernetes.io/ttl': {} } },
          'f:spec': { 'f:podCIDR': {}, 'f:podCIDRs': { '.': {}, [`v:"${o.podCIDR}"`]: {} } } })),
      mf('kubelet', f({
        'f:metadata': { 'f:annotations': { '.': {}, 'f:volumes.kubernetes.io/controller-managed-attach-detach': {} },
          'f:labels': { '.': {}, ...labelFields } },
      })),
      mf('kubelet', f({
        'f:status': { 'f:allocatable': { 'f:ephemeral-storage': {}, 'f:memory': {} },
          'f:capacity': { 'f:ephemeral-storage': {} },
          'f:conditions': Object.fromEntries(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready'].map((t) => [
            `k:{"type":"${t}"}`,
            { 'f:lastHeartbeatTime': {}, 'f:lastTransitionTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {} },
          ])), 'f:images': {},
          'f:nodeInfo': { 'f:bootID': {}, 'f:containerRuntimeVersion': {}, 'f:kernelVersion': {},
            'f:kubeProxyVersion': {}, 'f:kubeletVersion': {} }, 'f:runtimeHandlers': {}, 'f:features': {} },
      }), 'status'),
    ] },
    spec: { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR], providerID: `aws:///${zone}/i-${hex(o.name, 17)}` },
    status: {
      // InternalIP: where the API server reaches the node's kwok (its --node-ip); kwok sets daemonEndpoints (its port).
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: o.name }, {
        type: 'InternalDNS',
        address: `${o.name}.region-1.compute.internal`,
      }],
      allocatable: { cpu: '32', 'ephemeral-storage': '95551679124', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
        memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', 'ephemeral-storage': '103678844Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
        memory: '256Gi', pods: '110' },
      conditions: [cond('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'), // As a kubelet registers a node: not Ready yet (kwok's node-initialize stage makes it Ready and sets its port).
        cond('Ready', 'KubeletNotReady', 'container runtime status check may not have completed yet')],
      images,
      nodeInfo: { machineID: hex(`m${o.name}`, 32), systemUUID: hex(`s${o.name}`, 32), bootID: hex(`b${o.name}`, 32),
        kernelVersion: '6.8.0-1021-aws', osImage: 'Ubuntu 24.04.1 LTS', containerRuntimeVersion: 'containerd://2.4.2',
        kubeletVersion: 'v1.37.2', kubeProxyVersion: 'v1.37.2', operatingSystem: 'linux', architecture: 'amd64' },
      runtimeHandlers: [{ name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: true } }, { name: '',
        features: { recursiveReadOnlyMounts: true, userNamespaces: true } }],
      features: { supplementalGroupsPolicy: true },
    },
  };
}

/** What the API server and the kubelet add to a pod beyond the bench's minimal one. `pod` is changed in place. */
export function makePodRealistic(pod: Record<string, any>, o: { ownerKind: string; created: string }): void {
  // The bench builds many pods from one template: never change objects that another pod shares.
  pod.spec = structuredClone(pod.spec);
  pod.status = structuredClone(pod.status);
  pod.metadata.labels = { ...pod.metadata.labels };
  const uid: string = pod.metadata.uid;
  const vol = `kube-api-access-${hex(uid, 5)}`;
  const mount = { name: vol, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true };
  pod.metadata.generateName = pod.metadata.name.replace(/[^-]+$/, '');
  pod.metadata.resourceVersion = undefined;
  if (o.ownerKind === 'ReplicaSet') pod.metadata.labels = { ...pod.metadata.labels, 'pod-template-hash': hex(uid, 10) };
  const spec = pod.spec;
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.volumes = [...(spec.volumes ?? []), { name: vol, projected: { defaultMode: 420, sources: [
    { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    {
      downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] },
    },
  ] } }];
  spec.tolerations = [...(spec.tolerations ?? []), { key: 'node.kubernetes.io/not-ready', operator: 'Exists',
    effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists',
    effect: 'NoExecute', tolerationSeconds: 300 }];
  for (const c of spec.containers as Record<string, any>[]) {
    c.volumeMounts = [...(c.volumeMounts ?? []), mount];
    c.terminationMessagePath = '/dev/termination-log';
    c.terminationMessagePolicy = 'File';
    c.imagePullPolicy ??= 'IfNotPresent';
    if (o.ownerKind === 'ReplicaSet') {
      c.ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
      c.env = [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'POD_NAME',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }];
      c.readinessProbe = { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10,
        timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
    }
  }
  for (const s of pod.status.containerStatuses as Record<string, any>[]) {
    s.containerID = `containerd://${hex(`${uid}${s.name}`)}`;
    s.imageID = `${String(s.image).replace(/:[^:/]*$/, '')}@sha256:${hex(String(s.image))}`;
    s.lastState = {};
    s.volumeMounts = [{ ...mount, recursiveReadOnly: 'Disabled' }];
    s.user = { linux: { uid: 0, gid: 0, supplementalGroups: [0] } };
  }
  const specFields = { 'f:containers': Object.fromEntries((spec.containers as { name: string }[]).map((c) => [
    `k:{"name":"${c.name}"}`,
    { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:resources': {}, 'f:terminationMessagePath': {},
      'f:terminationMessagePolicy': {}, 'f:ports': {}, 'f:env': {}, 'f:readinessProbe': {} },
  ])), 'f:dnsPolicy': {}, 'f:enableServiceLinks': {}, 'f:restartPolicy': {}, 'f:schedulerName': {},
    'f:securityContext': {}, 'f:serviceAccount': {}, 'f:serviceAccountName': {}, 'f:terminationGracePeriodSeconds': {},
    'f:tolerations': {}, 'f:volumes': {} };
  pod.metadata.managedFields = [
    { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: o.created,
      fieldsType: 'FieldsV1', fieldsV1: {
        'f:metadata': { 'f:annotations': {}, 'f:generateName': {},
          'f:labels': Object.fromEntries(Object.keys(pod.metadata.labels).map((k) => [`f:${k}`, {}])),
          'f:ownerReferences': { '.': {}, [`k:{"uid":"${pod.metadata.ownerReferences?.[0]?.uid ?? ''}"}`]: {} } },
        'f:spec': specFields,
      } },
    { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: o.created, fieldsType: 'FieldsV1',
      subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': Object.fromEntries(
        ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'Ready'].map((
          t,
        ) => [`k:{"type":"${t}"}`, { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {},
          'f:type': {} }]
        ),
      ), 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:hostIPs': {}, 'f:phase': {}, 'f:podIP': {},
        'f:podIPs': { '.': {}, [`k:{"ip":"${pod.status.podIP}"}`]: { '.': {}, 'f:ip': {} } }, 'f:startTime': {} } } },
  ];
}
