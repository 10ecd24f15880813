import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDependent, podVerdict, POD_FILTERS, type PodFilterContext } from '../../../scripts/plan/pod-filters.ts';
import type { DependentsPolicy } from '../../../scripts/config/config.ts';
import type { PodAction, PodFacts } from '../../../scripts/model.ts';
import { makePdb, makePod } from '../fixtures.ts';

const config: PodFilterContext['config'] = {
  dependents: 'secondary-networks',
  allowLocalStorage: false,
  optOutAnnotation: 'multus-token-rotator.io/skip',
  restartKinds: ['ReplicaSet', 'StatefulSet'],
};
const ctx: PodFilterContext = { config, pdbs: [] };
const OPT_OUT = { 'multus-token-rotator.io/skip': 'true' };
const NET = { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' };
const EMPTY_DIR = [{ name: 'cache', kind: 'emptyDir' as const }];

describe('isDependent', () => {
  const cases: Array<{ name: string; pod: PodFacts; policy: DependentsPolicy; want: boolean }> = [
    { name: 'networks annotation, secondary-networks', pod: makePod(), policy: 'secondary-networks', want: true },
    { name: 'no annotation, secondary-networks', pod: makePod({ annotations: {} }), policy: 'secondary-networks',
      want: false },
    {
      name: 'blank annotation, secondary-networks',
      pod: makePod({ annotations: { 'k8s.v1.cni.cncf.io/networks': '  ' } }),
      policy: 'secondary-networks',
      want: false,
    },
    {
      name: 'JSON annotation, secondary-networks',
      pod: makePod({ annotations: { 'k8s.v1.cni.cncf.io/networks': '[{"name":"sriov-a"}]' } }),
      policy: 'secondary-networks',
      want: true,
    },
    {
      name: 'an empty JSON list asks for no network, secondary-networks',
      pod: makePod({ annotations: { 'k8s.v1.cni.cncf.io/networks': ' [] ' } }),
      policy: 'secondary-networks',
      want: false,
    },
    {
      name: 'a list of empty names asks for no network, secondary-networks',
      pod: makePod({ annotations: { 'k8s.v1.cni.cncf.io/networks': ' , ' } }),
      policy: 'secondary-networks',
      want: false,
    },
    { name: 'no annotation, all', pod: makePod({ annotations: {} }), policy: 'all', want: true },
    { name: 'host network, all', pod: makePod({ annotations: {}, hostNetwork: true }), policy: 'all', want: false },
    { name: 'annotation, none', pod: makePod(), policy: 'none', want: false },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(isDependent(c.pod, c.policy), c.want));
  }
});

describe('podVerdict', () => {
  const cases: Array<{
    name: string;
    pod: PodFacts;
    ctx?: PodFilterContext;
    action: PodAction;
    reason: RegExp;
    override?: string;
  }> = [
    { name: 'an ordinary dependent pod is restarted', pod: makePod(), action: 'restart', reason: /secondary networks/ },
    { name: 'succeeded', pod: makePod({ phase: 'Succeeded' }), action: 'skip', reason: /finished \(Succeeded\)/ },
    { name: 'failed', pod: makePod({ phase: 'Failed', controller: undefined }), action: 'skip',
      reason: /finished \(Failed\)/ },
    { name: 'terminating', pod: makePod({ deleting: true, controller: undefined }), action: 'skip',
      reason: /terminating/ },
    {
      name: 'mirror pod, although it has no controller',
      pod: makePod({ controller: undefined, annotations: { ...NET, 'kubernetes.io/config.mirror': 'abc' } }),
      action: 'skip',
      reason: /static \(mirror\)/,
    },
    {
      name: 'DaemonSet-owned with secondary networks, even with emptyDir: reported for a person, not silently skipped',
      pod: makePod({ controller: { kind: 'DaemonSet', name: 'agent', uid: 'd' }, volumes: EMPTY_DIR }),
      action: 'manual',
      reason: /DaemonSet agent and attaches secondary networks.*delete it by hand/,
    },
    {
      name: 'DaemonSet-owned without secondary networks (--dependents all): skipped',
      pod: makePod({ controller: { kind: 'DaemonSet', name: 'agent', uid: 'd' }, annotations: {} }),
      action: 'skip',
      reason: /DaemonSet agent; its controller would recreate it/,
    },
    {
      name: 'Job-owned',
      pod: makePod({ controller: { kind: 'Job', name: 'backup-123', uid: 'j' } }),
      action: 'skip',
      reason: /Job backup-123/,
    },
    {
      name: 'a bare pod still Pending (stuck in ContainerCreating) is skipped, not manual: it starts by itself',
      pod: makePod({ phase: 'Pending', ready: false, controller: undefined }),
      action: 'skip',
      reason: /not started yet .* starts by itself/,
    },
    {
      name: 'a Deployment pod still Pending is not evicted',
      pod: makePod({ phase: 'Pending', ready: false }),
      action: 'skip',
      reason: /not started yet/,
    },
    {
      name: 'a bare host-network pod is skipped, not manual',
      pod: makePod({ hostNetwork: true, controller: undefined }),
      action: 'skip',
      reason: /host network/,
    },
    {
      name: 'host network wins over the opt-out annotation',
      pod: makePod({ hostNetwork: true, annotations: { ...NET, ...OPT_OUT } }),
      action: 'skip',
      reason: /host network/,
    },
    {
      name: 'opt-out annotation names the annotation',
      pod: makePod({ annotations: { ...NET, ...OPT_OUT } }),
      action: 'skip',
      reason: /opted out by the annotation multus-token-rotator\.io\/skip="true"/,
      override: 'annotation multus-token-rotator.io/skip',
    },
    {
      name: 'opt-out annotation wins over no controller',
      pod: makePod({ controller: undefined, annotations: { ...NET, ...OPT_OUT } }),
      action: 'skip',
      reason: /opted out/,
      override: 'annotation multus-token-rotator.io/skip',
    },
    {
      name: 'opt-out annotation other than "true" does not opt out',
      pod: makePod({ annotations: { ...NET, 'multus-token-rotator.io/skip': 'false' } }),
      action: 'restart',
      reason: /secondary networks/,
    },
    {
      name: 'a custom opt-out annotation',
      pod: makePod({ annotations: { ...NET, 'example.com/keep': 'true' } }),
      ctx: { config: { ...config, optOutAnnotation: 'example.com/keep' }, pdbs: [] },
      action: 'skip',
      reason: /example\.com\/keep/,
      override: 'annotation example.com/keep',
    },
    {
      name: 'no controller: manual',
      pod: makePod({ controller: undefined }),
      action: 'manual',
      reason: /^has no controller, so it would not come back if evicted; restart it by hand$/,
    },
    {
      name: 'no controller wins over emptyDir',
      pod: makePod({ controller: undefined, volumes: EMPTY_DIR }),
      action: 'manual',
      reason: /no controller/,
    },
    {
      name: 'emptyDir: refused with the flag',
      pod: makePod({ volumes: [...EMPTY_DIR, { name: 'data', kind: 'hostPath' }, { name: 'tmp', kind: 'emptyDir' }] }),
      action: 'refused',
      reason: /emptyDir volumes \(cache, tmp\)/,
      override: '--allow-local-storage',
    },
    {
      name: 'emptyDir allowed by --allow-local-storage',
      pod: makePod({ volumes: EMPTY_DIR }),
      ctx: { config: { ...config, allowLocalStorage: true }, pdbs: [] },
      action: 'restart',
      reason: /secondary networks/,
    },
    {
      name: 'hostPath is not local storage',
      pod: makePod({ volumes: [{ name: 'dev', kind: 'hostPath' }] }),
      action: 'restart',
      reason: /secondary networks/,
    },
    {
      name: 'emptyDir wins over a blocking budget',
      pod: makePod({ volumes: EMPTY_DIR }),
      ctx: { config, pdbs: [makePdb({ disruptionsAllowed: 0 })] },
      action: 'refused',
      reason: /emptyDir/,
      override: '--allow-local-storage',
    },
    {
      name: 'a budget with no room blocks',
      pod: makePod(),
      ctx: { config, pdbs: [makePdb({ disruptionsAllowed: 0 })] },
      action: 'blocked',
      reason: /allows no disruption now/,
    },
    {
      name: 'a budget in another namespace is ignored',
      pod: makePod(),
      ctx: { config, pdbs: [makePdb({ namespace: 'other', disruptionsAllowed: 0 })] },
      action: 'restart',
      reason: /secondary networks/,
    },
    {
      name: 'policy all: reason says pod network',
      pod: makePod({ annotations: {} }),
      ctx: { config: { ...config, dependents: 'all' }, pdbs: [] },
      action: 'restart',
      reason: /pod network/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = podVerdict(c.pod, c.ctx ?? ctx);
      assert.equal(v.action, c.action, v.reason);
      assert.match(v.reason, c.reason);
      assert.equal(v.override, c.override);
      assert.deepEqual([v.namespace, v.name, v.uid], [c.pod.namespace, c.pod.name, c.pod.uid]);
    });
  }

  it('lists the budgets of a restarted pod and of a blocked one', () => {
    const ok = podVerdict(makePod(), { config, pdbs: [makePdb()] });
    assert.equal(ok.action, 'restart');
    assert.deepEqual(ok.pdbs, ['default/web']);
    const blocked = podVerdict(makePod(), { config,
      pdbs: [makePdb({ name: 'a' }), makePdb({ name: 'b', selector: {} })] });
    assert.equal(blocked.action, 'blocked');
    assert.deepEqual(blocked.pdbs, ['default/a', 'default/b']);
    assert.equal(podVerdict(makePod(), ctx).pdbs, undefined);
  });

  it('leaves a pod of a controller not known to bring it back for a person, unless its kind is allowed', () => {
    const vm = makePod({ controller: { kind: 'VirtualMachineInstance', name: 'vm-1', uid: 'vmi-1' } });
    const v = podVerdict(vm, ctx);
    assert.equal(v.action, 'manual');
    assert.match(v.reason, /VirtualMachineInstance vm-1/);
    assert.equal(v.override, '--restart-kinds');
    const allowed = podVerdict(vm, { ...ctx,
      config: { ...ctx.config, restartKinds: ['ReplicaSet', 'VirtualMachineInstance'] } });
    assert.equal(allowed.action, 'restart');
  });

  it('runs the filters in the documented order', () => {
    assert.deepEqual(
      POD_FILTERS.map((f) => f.name),
      ['finished', 'terminating', 'mirror', 'daemonset', 'job', 'host-network', 'not-started', 'opt-out',
        'no-controller', 'unknown-controller', 'statefulset-revision', 'local-storage', 'pinned-to-cordoned-node',
        'budgets'],
    );
  });

  it('takes the first refusal of a custom filter list', () => {
    const v = podVerdict(makePod(), ctx, [
      { name: 'a', check: () => undefined },
      { name: 'b', check: () => ({ action: 'manual', reason: 'b says so' }) },
      { name: 'c', check: () => ({ action: 'skip', reason: 'c says so' }) },
    ]);
    assert.equal(v.reason, 'b says so');
  });
});
