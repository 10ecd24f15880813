import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterReader } from '../../../scripts/cluster/cluster-reader.ts';
import { listWorkloads, narrowWorkloads, scanWorkloads } from '../../../scripts/scan/scan-workloads.ts';

/** Plain JSON pods, as cluster/raw-list.ts hands them over (dates are strings). */
const pod = (name: string, node: string): V1Pod => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date,
    annotations: { 'k8s.v1.cni.cncf.io/networks': 'x' } },
  spec: { nodeName: node, containers: [{ name: 'c' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

function reader(pages: V1Pod[][]): ClusterReader {
  return {
    async listPods(_opts: unknown, onPage?: (p: V1Pod[], restarted: boolean) => void) {
      for (const p of pages) onPage?.(p, false);
      return [];
    },
    async listPdbs() {
      return [];
    },
  } as unknown as ClusterReader;
}

describe('scanWorkloads', () => {
  const pages = [[pod('a1', 'a'), pod('b1', 'b')], [pod('a2', 'a'), pod('c1', 'c'), pod('m', 'a')]];

  it("keeps only the facts of pods on the plan's nodes, Multus pods left out", async () => {
    const w = await scanWorkloads(reader(pages), new Set(['a']), new Set(['uid-m']));
    assert.deepEqual(w.pods.map((p) => p.name), ['a1', 'a2']);
    assert.equal(w.pods[0]?.ready, true);
  });

  it('a list started before the plan (every node) narrows to the same answer', async () => {
    const all = await listWorkloads(reader(pages), () => true);
    assert.equal(all.pods.length, 5);
    const narrowed = narrowWorkloads(all, new Set(['a']), new Set(['uid-m']));
    assert.deepEqual(narrowed, await scanWorkloads(reader(pages), new Set(['a']), new Set(['uid-m'])));
  });
});

describe('scanWorkloads: a few nodes, one list each', () => {
  it('asks by spec.nodeName for each node and keeps the same facts', async () => {
    const asked: string[] = [];
    const all = [pod('a1', 'a'), pod('b1', 'b'), pod('a2', 'a'), pod('m', 'a')];
    const r = {
      async listPods(opts: { fieldSelector?: string }, onPage?: (p: V1Pod[], restarted: boolean) => void) {
        asked.push(opts.fieldSelector ?? '');
        const node = /spec\.nodeName=([^,]+)/.exec(opts.fieldSelector ?? '')?.[1];
        onPage?.(all.filter((p) => node === undefined || p.spec?.nodeName === node), false);
        return [];
      },
      async listPdbs() {
        return [];
      },
    } as unknown as ClusterReader;
    const w = await scanWorkloads(r, new Set(['a']), new Set(['uid-m']));
    assert.deepEqual(asked, ['spec.nodeName=a,status.phase!=Succeeded,status.phase!=Failed']);
    assert.deepEqual(w.pods.map((p) => p.name), ['a1', 'a2']);
  });
});
