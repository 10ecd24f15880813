// Mode detection as Multus itself reads its command, args and image (multus-cni v3.9.3 entrypoint.sh, v4.2.2
// thin_entrypoint with spf13/pflag, multus-daemon; the images' Dockerfiles for containers without a command).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageEntrypoint, multusModeOf, thinEntrypointFlags } from '../../../scripts/scan/multus-mode.ts';

const V4 = 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2';
const V4_THICK = 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2-thick';
const V3 = 'ghcr.io/k8snetworkplumbingwg/multus-cni:v3.9.3';
const THIN = ['/thin_entrypoint'];

test('4.x thin flags in every form pflag accepts, and any case of true', () => {
  const cases: [string, string[], string][] = [
    ['--flag=true', ['--multus-conf-file=auto', '--cleanup-config-on-exit=true'], 'thin-token-watch'],
    ['--flag (bare boolean)', ['--cleanup-config-on-exit'], 'thin-token-watch'],
    ['--flag true (separate value)', ['--cleanup-config-on-exit', 'true', '--cni-version=0.3.1'], 'thin-token-watch'],
    ['--flag=TRUE', ['--cleanup-config-on-exit=TRUE'], 'thin-token-watch'],
    ['--flag=True', ['--cleanup-config-on-exit=True'], 'thin-token-watch'],
    ['--flag=1', ['--cleanup-config-on-exit=1'], 'thin-token-watch'],
    ['-flag (single dash)', ['-cleanup-config-on-exit'], 'thin-token-watch'],
    ['-flag=true (single dash)', ['-cleanup-config-on-exit=true'], 'thin-token-watch'],
    ['--flag=false', ['--cleanup-config-on-exit=false'], 'thin'],
    ['--flag=FALSE', ['--cleanup-config-on-exit=FALSE'], 'thin'],
    ['last one wins', ['--cleanup-config-on-exit=true', '--cleanup-config-on-exit=false'], 'thin'],
    ['no flag', ['--multus-conf-file=auto'], 'thin'],
    ['skip-config-watch', ['--cleanup-config-on-exit=true', '--skip-config-watch'], 'thin'],
    ['skip-config-watch=False', ['--cleanup-config-on-exit=true', '--skip-config-watch=False'], 'thin-token-watch'],
    ['a fixed conf file (=)', ['--cleanup-config-on-exit=true', '--multus-conf-file=/tmp/multus.conf'], 'thin'],
    ['a fixed conf file (separate value)', ['--cleanup-config-on-exit=true', '--multus-conf-file', '/tmp/multus.conf'],
      'thin'],
    ['conf file auto (separate value)', ['--multus-conf-file', 'auto', '--cleanup-config-on-exit'], 'thin-token-watch'],
    ['after --, not a flag', ['--', '--cleanup-config-on-exit=true'], 'thin'],
    ["a string flag's value is not a flag", ['--multus-log-file', '--cleanup-config-on-exit=true'], 'thin'],
  ];
  for (const [name, args, mode] of cases) {
    assert.equal(multusModeOf({ image: V4, command: THIN, args }), mode, name);
  }
});

test("a container without command runs its image's entrypoint", () => {
  assert.equal(multusModeOf({ image: V4_THICK }), 'thick');
  assert.equal(multusModeOf({ image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:snapshot-thick' }), 'thick');
  assert.equal(multusModeOf({ image: V4, args: ['--cleanup-config-on-exit=true'] }), 'thin-token-watch');
  assert.equal(
    multusModeOf({ image: `${V4}@sha256:${'a'.repeat(64)}`, args: ['--cleanup-config-on-exit'] }),
    'thin-token-watch',
  );
  assert.equal(multusModeOf({ image: V3, args: ['--cleanup-config-on-exit=true'] }), 'thin',
    '3.x entrypoint.sh never refreshes its copy of the token');
  assert.equal(
    multusModeOf({ image: 'registry.example/mirror/multus-cni:latest', args: ['--cleanup-config-on-exit=true'] }),
    'thin',
    'an unknown entrypoint: the file is read and judged',
  );
  assert.equal(imageEntrypoint('docker.io/nfvpe/multus:stable'), 'thin-3');
  assert.equal(imageEntrypoint('localhost:5000/multus-cni:v4.1.0'), 'thin-4', 'a registry port is not a tag');
  assert.equal(imageEntrypoint('localhost:5000/multus-cni'), 'unknown');
  assert.equal(imageEntrypoint('quay.io/calico/node:v3.26.0'), 'unknown', 'not a Multus image');
});

test('commands: thick, 3.x, and a shell wrapping the entrypoint', () => {
  assert.equal(multusModeOf({ image: V4_THICK, command: ['/usr/src/multus-cni/bin/multus-daemon'] }), 'thick');
  assert.equal(
    multusModeOf({ image: V3, command: ['/entrypoint.sh'], args: ['--cleanup-config-on-exit=true'] }),
    'thin',
  );
  assert.equal(
    multusModeOf({ image: V4, command: ['/bin/sh', '-c'],
      args: ['cp /x /y && exec /thin_entrypoint --multus-conf-file=auto --cleanup-config-on-exit="True"'] }),
    'thin-token-watch',
  );
  assert.equal(
    multusModeOf({ image: V4, command: ['sh', '-c', "exec /thin_entrypoint --cleanup-config-on-exit 'false'"] }),
    'thin-token-watch',
    'pflag: a boolean never takes the next argument, so a bare flag is true',
  );
  assert.equal(multusModeOf({ image: V4, command: ['/thin_entrypoint'], args: [] }), 'thin');
});

test("thinEntrypointFlags keeps each flag's last value", () => {
  assert.deepEqual([
    ...thinEntrypointFlags(['--cni-version', '0.3.1', '-namespace-isolation', '--global-namespaces=a,b']),
  ], [['cni-version', '0.3.1'], ['namespace-isolation', 'true'], ['global-namespaces', 'a,b']]);
});

test("Multus 3.9's thick-plugin is thin in effect; 4.x thick is not (each as its upstream manifest runs it)", () => {
  // v3.9.3 deployments/multus-daemonset-thick-plugin.yml: multus-daemon (cmd/controller) only writes 00-multus.conf;
  // the host runs the thin `multus` binary the first init container copies, with the kubeconfig the second writes.
  const image = 'ghcr.io/k8snetworkplumbingwg/multus-cni:v3.9.2-thick-amd64';
  const daemon = { name: 'kube-multus', image, command: ['/usr/src/multus-cni/bin/multus-daemon'],
    args: ['-cni-version=0.3.1', '-cni-config-dir=/host/etc/cni/net.d'] };
  const install = { name: 'install-multus-binary', image,
    command: ['cp', '/usr/src/multus-cni/bin/multus', '/host/opt/cni/bin/multus'] };
  const generate = { name: 'generate-kubeconfig', image, command: ['/usr/src/multus-cni/bin/generate-kubeconfig'],
    args: ['-k8s-service-host=$(KUBERNETES_SERVICE_HOST)', '-k8s-service-port=$(KUBERNETES_SERVICE_PORT)'] };
  assert.equal(multusModeOf(daemon, [install, generate]), 'thin');
  // Each sign on its own: the kubeconfig generator, the thin binary's copy, a 3.x tag.
  const unversioned = { ...daemon, image: 'registry.example/multus-cni:thick' };
  assert.equal(multusModeOf(unversioned, [{ ...generate, image: unversioned.image }]), 'thin');
  assert.equal(multusModeOf(unversioned, [{ ...install, image: unversioned.image }]), 'thin');
  assert.equal(multusModeOf(daemon, []), 'thin');
  // v4.2.2 deployments/multus-daemonset-thick.yml: the init container copies the shim; the daemon serves CNI itself.
  const v4 = 'ghcr.io/k8snetworkplumbingwg/multus-cni:snapshot-thick';
  const v4Install = { name: 'install-multus-binary', image: v4,
    command: ['sh', '-c',
      'cp /usr/src/multus-cni/bin/multus-shim /host/opt/cni/bin/multus-shim && cp /usr/src/multus-cni/bin/passthru /host/opt/cni/bin/passthru'] };
  const v4Daemon = { name: 'kube-multus', image: v4, command: ['/usr/src/multus-cni/bin/multus-daemon'] };
  assert.equal(multusModeOf(v4Daemon, [v4Install]), 'thick');
  assert.equal(multusModeOf(unversioned, []), 'thick', 'no sign of 3.9: a thick daemon refreshes itself');
});
