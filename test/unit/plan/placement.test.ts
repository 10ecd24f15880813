// Issue 10 item 4: on a cordoned node, a pod that can only run there (nodeSelector or required node affinity to this
// node, a local PersistentVolume) is not evicted, and says why. Each case differs from "evicted" by one fact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeFacts, PlacementFacts } from '../../../scripts/model.ts';
import { pinnedToCordonedNode } from '../../../scripts/plan/placement.ts';
import { podVerdict, type PodFilterContext } from '../../../scripts/plan/pod-filters.ts';
import { toPodFacts } from '../../../scripts/scan/to-facts.ts';
import { makeFinding, makeMultusPod, makeNode, makePod, NOW, planOf } from '../fixtures.ts';

const HOST = 'kubernetes.io/hostname';
const node = (name: string, extra: Partial<NodeFacts> = {}): NodeFacts =>
  makeNode({ name, labels: { [HOST]: name, 'topology.kubernetes.io/zone': 'z1' }, ...extra });
const cordoned = (...others: NodeFacts[]) =>
  new Map([node('node-a', { unschedulable: true }), ...others].map((n) => [n.name, n]));
const config: PodFilterContext['config'] = { dependents: 'secondary-networks', allowLocalStorage: false,
  optOutAnnotation: 'multus-token-rotator.io/skip', restartKinds: ['ReplicaSet', 'StatefulSet'] };
const verdict = (placement: PlacementFacts | undefined, nodes: Map<string, NodeFacts>) =>
  podVerdict(makePod(placement ? { placement } : {}), { config, pdbs: [], nodes });
const onA = [{ matchExpressions: [{ key: HOST, operator: 'In', values: ['node-a'] }] }];

describe('pinned to a cordoned node', () => {
  it('nodeSelector to this node, node cordoned: refused, with why', () => {
    const v = verdict({ nodeSelector: { [HOST]: 'node-a' } }, cordoned(node('node-b')));
    assert.equal(v.action, 'refused');
    assert.deepEqual([v.later, v.cause], [true, 'cordoned'], 'left for a later run: it passes once uncordoned');
    assert.match(v.reason,
      /can only run on node node-a \(nodeSelector kubernetes\.io\/hostname=node-a\), which is cordoned/);
  });
  it('the same pod on a schedulable node: restarted', () => {
    const nodes = new Map([node('node-a'), node('node-b')].map((n) => [n.name, n]));
    assert.equal(verdict({ nodeSelector: { [HOST]: 'node-a' } }, nodes).action, 'restart');
  });
  it('a nodeSelector another schedulable node also matches: restarted', () => {
    assert.equal(verdict({ nodeSelector: { 'topology.kubernetes.io/zone': 'z1' } }, cordoned(node('node-b'))).action,
      'restart');
  });
  it('... unless that node is cordoned or NotReady too', () => {
    const v = verdict({ nodeSelector: { 'topology.kubernetes.io/zone': 'z1' } },
      cordoned(node('node-b', { ready: false }), node('node-c', { unschedulable: true })));
    assert.equal(v.action, 'refused');
  });
  it('required node affinity on metadata.name: refused', () => {
    const v = verdict({
      requiredTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }] }],
    }, cordoned(node('node-b')));
    assert.equal(v.action, 'refused');
    assert.match(v.reason, /required node affinity/);
  });
  it('a local PersistentVolume on this node: refused', () => {
    const v = verdict({ claims: [{ name: 'data', terms: onA }] }, cordoned(node('node-b')));
    assert.equal(v.action, 'refused');
    assert.match(v.reason, /the local PersistentVolume of claim data/);
  });
  it('a volume with no node affinity (network storage): restarted', () => {
    assert.equal(verdict({ claims: [{ name: 'data', terms: [] }] }, cordoned(node('node-b'))).action, 'restart');
  });
  it('a claim whose volume could not be read: refused (nothing on a guess)', () => {
    const v = verdict({ claims: [{ name: 'data' }] }, cordoned(node('node-b')));
    assert.equal(v.action, 'refused');
    assert.match(v.reason, /claim data, whose volume's node affinity could not be read/);
  });
  it('no constraint at all: not pinned, even when no other node is schedulable', () => {
    assert.equal(pinnedToCordonedNode(makePod(), cordoned()), undefined);
  });
  it('the plan judges it with the scanned nodes', () => {
    const plan = planOf({ findings: [makeFinding()],
      pods: [makePod({ placement: { nodeSelector: { [HOST]: 'node-a' } } })], pdbs: [],
      nodes: new Map([...cordoned(node('node-b'))].map(([name, n]) => [name, { ...n, ready: true }])),
      multusPods: [makeMultusPod('node-a')], config: { ...config, maxNodes: 10 } as never, now: NOW });
    assert.equal(plan.steps[0]?.pods[0]?.action, 'refused');
  });
  it('toPodFacts reads nodeSelector, required node affinity and claims', () => {
    const facts = toPodFacts({ metadata: { name: 'p' },
      spec: { nodeName: 'node-a', containers: [], nodeSelector: { [HOST]: 'node-a' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: onA } } },
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }, { name: 'tmp', emptyDir: {} }] } });
    assert.deepEqual(facts.placement, { nodeSelector: { [HOST]: 'node-a' }, requiredTerms: onA,
      claims: [{ name: 'data' }] });
  });
});
