// The images a real node runs, built here (no registry; pods use them because they are present):
//   pause   the sandbox image: Kubernetes' pause.c, compiled by real-node/build.sh
//   busybox the rotator's reader image: Debian's busybox-static, its applets, a passwd and group file
//   multus  Multus 4.x thin, distroless as upstream's (no shell): thin_entrypoint, install_multus, multus, passthru;
//           Multus 3.x thin: entrypoint.sh and the multus binary on a Debian userland with bash and python3 (as
//           upstream's python:slim base), copied from this machine (host-rootfs.ts)
// Each is a reproducible one-layer OCI archive (oci-archive.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostUserland } from './host-rootfs.ts';
import { type BuiltImage, ociArchive } from './oci-archive.ts';

export interface NodeImages {
  pause: BuiltImage;
  busybox: BuiltImage;
  multusV4Thin: BuiltImage;
  multusV3: BuiltImage;
  multusV37: BuiltImage;
  multusV4Thick: BuiltImage;
}

/** What Multus 3.x's entrypoint.sh runs (bash, coreutils, grep, sed, awk, python3; `python` in 3.7). */
const V3_PROGRAMS = ['bash', 'sh', 'cat', 'chmod', 'cp', 'date', 'echo', 'head', 'tail', 'ls', 'mkdir', 'mktemp', 'mv',
  'rm', 'sleep', 'base64', 'tty', 'touch', 'tr', 'find', 'grep', 'awk', 'sed', 'readlink', 'dirname', 'basename', 'env',
  'stat', 'test', 'python3'];

const PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/** A file copied into the image tree, mode 0755 (a binary) or 0644. */
function put(root: string, at: string, from: string | { text: string }, mode = 0o755): void {
  const dest = path.join(root, at);
  mkdirSync(path.dirname(dest), { recursive: true });
  if (typeof from === 'string') copyFileSync(from, dest);
  else writeFileSync(dest, from.text);
  chmodSync(dest, mode);
}

function base(root: string): void {
  put(root, 'etc/passwd', { text: PASSWD }, 0o644);
  put(root, 'etc/group', { text: GROUP }, 0o644);
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  chmodSync(path.join(root, 'tmp'), 0o1777);
}

/** Debian's busybox-static, checked to be static (Debian's dynamic busybox package installs the same path). */
function staticBusybox(): string {
  const file = '/bin/busybox';
  let dynamic: boolean;
  try {
    dynamic = !/not a dynamic executable/.test(execFileSync('ldd', [file], { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString());
  } catch (err) {
    const out = `${(err as { stdout?: Buffer }).stdout ?? ''}${(err as { stderr?: Buffer }).stderr ?? ''}`;
    if (/No such file/.test(out)) dynamic = true;
    else dynamic = !/not a dynamic executable/.test(out);
  }
  if (dynamic) {
    throw new Error(`${file} is missing or not static: the reader image needs Debian's busybox-static; ` +
      'run apt-get install -y busybox-static');
  }
  return file;
}

/** This machine's python3 standard library directory (e.g. /usr/lib/python3.11). */
function pythonLib(): string {
  const dir = execFileSync('/usr/bin/python3', ['-c', 'import os; print(os.path.dirname(os.__file__))']).toString()
    .trim();
  if (!dir) throw new Error('python3 is missing: the Multus 3.x image needs it; apt-get install -y python3');
  return dir;
}

/**
 * Builds the images into `outDir`. `nodeBuild` is real-node/build.sh's output directory (bin/pause,
 * multus-v4/install_multus), `multusBuild` is build-multus.sh's.
 */
export function buildNodeImages(
  o: { nodeBuild: string; multusBuild: string; k8sVersion: string; multusV3Version: string; multusV37Version: string;
    multusV4Version: string; outDir: string },
): NodeImages {
  mkdirSync(o.outDir, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), 'mtr-images-'));
  const tree = (name: string) => {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  try {
    const pauseRoot = tree('pause');
    put(pauseRoot, 'pause', path.join(o.nodeBuild, 'bin', 'pause'));
    const pause = ociArchive({ rootfs: pauseRoot, name: `mtr.local/pause:${o.k8sVersion}`,
      config: { Entrypoint: ['/pause'], User: '65535:65535' }, outDir: o.outDir, file: 'pause' });

    const bbRoot = tree('busybox');
    base(bbRoot);
    const bb = staticBusybox();
    put(bbRoot, 'bin/busybox', bb);
    const version = /v(\d+\.\d+\.\d+)/.exec(execFileSync(bb, ['--help']).toString())?.[1] ?? 'unknown';
    for (const applet of execFileSync(bb, ['--list']).toString().split('\n').filter(Boolean)) {
      if (applet !== 'busybox') symlinkSync('busybox', path.join(bbRoot, 'bin', applet));
    }
    const busybox = ociArchive({ rootfs: bbRoot, name: `mtr.local/busybox:${version}`,
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, outDir: o.outDir, file: 'busybox' });

    // Upstream's images/Dockerfile (4.x): the binaries on distroless, entrypoint /thin_entrypoint, workdir /.
    const mRoot = tree('multus-v4-thin');
    base(mRoot);
    const v4 = path.join(o.multusBuild, 'multus-v4');
    put(mRoot, 'usr/src/multus-cni/bin/multus', path.join(v4, 'multus'));
    put(mRoot, 'usr/src/multus-cni/bin/thin_entrypoint', path.join(v4, 'thin_entrypoint'));
    put(mRoot, 'usr/src/multus-cni/bin/install_multus', path.join(o.nodeBuild, 'multus-v4', 'install_multus'));
    put(mRoot, 'usr/src/multus-cni/bin/passthru', path.join(o.nodeBuild, 'multus-v4', 'passthru'));
    put(mRoot, 'thin_entrypoint', path.join(v4, 'thin_entrypoint'));
    put(mRoot, 'install_multus', path.join(o.nodeBuild, 'multus-v4', 'install_multus'));
    const multusV4Thin = ociArchive({ rootfs: mRoot, name: `mtr.local/multus-cni:${o.multusV4Version}`,
      config: { Entrypoint: ['/thin_entrypoint'], WorkingDir: '/', Env: ['PATH=/usr/src/multus-cni/bin'] },
      outDir: o.outDir, file: 'multus-v4-thin' });

    // Upstream's 3.x images/Dockerfile: python:slim (3.9; centos7 for 3.7), the binary in /usr/src/multus-cni/bin,
    // /entrypoint.sh.
    const v3Image = (file: string, dir: string, version: string, links: [string, string][] = []) => {
      const root = tree(file);
      base(root);
      hostUserland(root, { programs: V3_PROGRAMS, dirs: [pythonLib()], links: [['/bin', 'usr/bin'], ...links] });
      put(root, 'usr/src/multus-cni/bin/multus', path.join(dir, 'multus'));
      put(root, 'entrypoint.sh', path.join(dir, 'entrypoint.sh'));
      return ociArchive({ rootfs: root, name: `mtr.local/multus-cni:${version}`,
        config: { Entrypoint: ['/entrypoint.sh'], WorkingDir: '/',
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, outDir: o.outDir, file });
    };
    const multusV3 = v3Image('multus-v3', path.join(o.multusBuild, 'multus-v3'), o.multusV3Version);
    // 3.7's entrypoint runs `python` (centos7's, 2.7; its code also runs on 3), as Debian's python-is-python3 gives.
    const multusV37 = v3Image('multus-v3.7', path.join(o.nodeBuild, 'multus-v3.7'), o.multusV37Version, [[
      '/usr/bin/python',
      'python3',
    ]]);

    // Upstream's 4.x images/Dockerfile.thick: debian:stable-slim (its init container runs `sh -c cp …`), the
    // binaries in /usr/src/multus-cni/bin, entrypoint multus-daemon.
    const thickRoot = tree('multus-v4-thick');
    base(thickRoot);
    hostUserland(thickRoot, { programs: ['sh', 'cp', 'cat', 'ls'], dirs: [],
      links: [['/bin', 'usr/bin'], ['/var/run', '../run']] }); // the daemon finds the pods' netns at /var/run/netns
    mkdirSync(path.join(thickRoot, 'run'), { recursive: true });
    put(thickRoot, 'usr/src/multus-cni/bin/multus-daemon', path.join(v4, 'multus-daemon'));
    put(thickRoot, 'usr/src/multus-cni/bin/multus-shim', path.join(v4, 'multus-shim'));
    put(thickRoot, 'usr/src/multus-cni/bin/passthru', path.join(o.nodeBuild, 'multus-v4', 'passthru'));
    const multusV4Thick = ociArchive({ rootfs: thickRoot, name: `mtr.local/multus-cni:${o.multusV4Version}-thick`,
      config: { Entrypoint: ['/usr/src/multus-cni/bin/multus-daemon'], WorkingDir: '/',
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, outDir: o.outDir,
      file: 'multus-v4-thick' });
    return { pause, busybox, multusV4Thin, multusV3, multusV37, multusV4Thick };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
