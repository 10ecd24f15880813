// The local cluster leaves the machine as it found it. A second cluster (its own root in a temporary directory, the
// suite's port offset + 8) is brought up with `cluster:up`, pods are created on every node (each gets a network
// namespace through the real Multus) and some deleted, the node agent is killed with SIGKILL (its Multus containers
// and the pods' namespaces outlive it), and `cluster:down` must then leave no process, mount, network namespace,
// mount point or file of that cluster — checked from /proc (test/e2e/support/machine-scan.ts), in every mount
// namespace, and only for this cluster's things, so that it holds while other clusters run beside it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { repoRoot } from '../../../local-cluster/cluster.ts';
import { CONTAINER, HOST } from '../../../local-cluster/node-paths.ts';
import { alive, readState, waitFor } from '../../../local-cluster/processes.ts';
import { offsetFromEnv } from '../../../local-cluster/ports.ts';
import { mountsOf, networkNamespacesInUse, processesOf, stillRunning } from '../support/machine-scan.ts';

const run = promisify(execFile);
const suiteOffset = offsetFromEnv(process.env.MTR_CLUSTER_PORT_OFFSET);
const offset = ('offset' in suiteOffset ? suiteOffset.offset : 0) + 8;
/** The mount points the agent used to create on the host's root; none may appear. */
const HOST_MOUNT_POINTS = [...Object.values(HOST), ...Object.values(CONTAINER), '/host'];

function cli(command: 'up' | 'down', root: string, nodes: number): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(repoRoot, 'local-cluster', 'cli.ts'), command], {
    cwd: repoRoot,
    timeout: 600_000,
    env: { ...process.env, MTR_CLUSTER_DIR: root, MTR_CLUSTER_PORT_OFFSET: String(offset),
      CLUSTER_NODES: String(nodes) },
  });
}

function pod(name: string, node: string): V1Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
  };
}

/** A second cluster of `count` nodes in a temporary root, removed (down, then its directory) after the test. */
async function secondCluster(t: TestContext, count: number) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mtr-leftovers-'));
  t.after(async () => {
    await cli('down', root, count).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  await cli('up', root, count);
  const kc = new KubeConfig();
  kc.loadFromFile(path.join(root, 'kubeconfig'));
  const nodes = readState(root)?.nodes ?? [];
  assert.equal(nodes.length, count);
  return { root, core: kc.makeApiClient(CoreV1Api), nodes };
}

/** Creates the pods and waits until each is Ready: only after CNI ADD through Multus, in a network namespace. */
async function createReady(core: CoreV1Api, pods: { name: string; node: string }[]): Promise<void> {
  for (const { name, node } of pods) await core.createNamespacedPod({ namespace: 'default', body: pod(name, node) });
  await waitFor('the pods to be Ready', async () => {
    const items = (await core.listNamespacedPod({ namespace: 'default' })).items;
    return pods.every(({ name }) =>
      items.some((p) =>
        p.metadata?.name === name && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      )
    );
  }, 120_000, 250);
}

test('cluster:down leaves no process, mount, network namespace, mount point or file of its cluster', async (t) => {
  const absentBefore = HOST_MOUNT_POINTS.filter((p) => !existsSync(p));
  const { root, core, nodes } = await secondCluster(t, 2);

  // Two pods per node; then one per node deleted (CNI DEL).
  await createReady(core, nodes.flatMap((node, i) => [`keep-${i}`, `gone-${i}`].map((name) => ({ name, node }))));
  const uids = new Map((await core.listNamespacedPod({ namespace: 'default' })).items
    .map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? '']));
  for (const i of nodes.keys()) await core.deleteNamespacedPod({ name: `gone-${i}`, namespace: 'default' });
  await waitFor('the deleted pods to be gone', async () => {
    const left = (await core.listNamespacedPod({ namespace: 'default' })).items.map((p) => p.metadata?.name);
    return nodes.every((_, i) => !left.includes(`gone-${i}`));
  }, 120_000, 250);

  // What the cluster holds now: its network namespaces (by inode) and every process of it.
  const records = readdirSync(path.join(root, 'netns')).map((f) => path.join(root, 'netns', f));
  assert.equal(records.length, nodes.length, 'a network namespace per running pod, none for the deleted ones');
  const netns = new Set(records.map((f) => readlinkSync(`/proc/${readFileSync(f, 'utf8').trim()}/ns/net`)));
  assert.equal(netns.size, nodes.length, 'each its own network namespace');
  assert.ok(!netns.has(readlinkSync('/proc/self/ns/net')), "none of them the host's");
  const state = readState(root);
  const agent = state?.processes.find((p) => p.name === 'node-agent');
  assert.ok(agent && alive(agent.pid), 'the node agent runs');
  const processes = processesOf(state?.processes.map((p) => p.pid) ?? [], root);

  process.kill(agent.pid, 'SIGKILL');
  await waitFor('the node agent to die', () => !alive(agent.pid), 10_000, 50);
  const orphans = stillRunning(processes).filter((p) =>
    / (thin_entrypoint|multus-daemon)|entrypoint\.sh/.test(p.command)
  );
  assert.ok(orphans.length >= nodes.length, 'the Multus containers outlive the killed agent (down has work to do)');

  const started = Date.now();
  const out = await cli('down', root, nodes.length);
  t.diagnostic(`cluster:down took ${((Date.now() - started) / 1000).toFixed(1)} s: ${out.stderr.trim()}`);

  assert.deepEqual(stillRunning(processes).map((p) => `${p.pid} ${p.command}`), [], 'no process of it runs');
  assert.deepEqual(processesOf([], root).map((p) => `${p.pid} ${p.command}`), [], 'no process names its root');
  assert.deepEqual(mountsOf(root, netns), [], 'no mount under its root, nor of its network namespaces, anywhere');
  const inUse = networkNamespacesInUse();
  assert.deepEqual([...netns].filter((n) => inUse.has(n)), [], 'no process in its network namespaces');
  const runNetns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  assert.deepEqual(runNetns.filter((f) => [...uids.values()].some((uid) => f.includes(uid))), [],
    'nothing of its pods in /run/netns');
  assert.deepEqual(HOST_MOUNT_POINTS.filter((p) => absentBefore.includes(p) && existsSync(p)), [],
    'no mount point made on the host');
  assert.deepEqual(readdirSync(root), ['pki'], 'of its files, only pki/ (the CA and keys, reused by the next up)');
});

test("the node agent's shutdown stops its Multus containers and frees its pods' network namespaces", async (t) => {
  const { root, core, nodes } = await secondCluster(t, 1);
  await createReady(core, nodes.map((node) => ({ name: 'keep-0', node })));
  const state = readState(root);
  const agent = state?.processes.find((p) => p.name === 'node-agent');
  assert.ok(agent && alive(agent.pid), 'the node agent runs');
  assert.equal(readdirSync(path.join(root, 'netns')).length, 1, "the pod's network namespace is held");
  assert.ok(readdirSync(path.join(root, 'pgroups')).length >= 1, 'a Multus container runs');
  // Everything `up` started but the agent, with whatever those started (a kwok exec, say).
  const others = new Set(processesOf(state?.processes.filter((p) => p !== agent).map((p) => p.pid) ?? [], undefined)
    .map((p) => p.pid));

  process.kill(agent.pid, 'SIGTERM');
  await waitFor('the node agent to stop', () => !alive(agent.pid), 15_000, 50);
  const left = processesOf([], root).filter((p) => !others.has(p.pid));
  assert.deepEqual(left.map((p) => `${p.pid} ${p.command}`), [], 'no process of the agent outlives it');
  assert.deepEqual(readdirSync(path.join(root, 'netns')), [], 'no network namespace record left');
});
