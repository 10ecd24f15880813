// A small Debian userland for an image, copied from this machine (which is Debian, as upstream's python:slim base):
// the named programs with the shared libraries they load (ldd), and directories copied whole. For the Multus 3.x
// images, whose entrypoint script needs bash, coreutils, grep, sed, awk and python3.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const DEBIAN_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** The absolute paths of the shared libraries `file` loads, the dynamic loader included (none for a static file). */
function sharedLibraries(file: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return []; // static, or not an ELF file
  }
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] ?? '').filter(Boolean);
}

/** Copies `file` (following symlinks) to the same path under `root`. */
function copyTo(root: string, file: string): void {
  const dest = path.join(root, file);
  if (existsSync(dest)) return;
  mkdirSync(path.dirname(dest), { recursive: true });
  cpSync(realpathSync(file), dest);
}

export function hostUserland(root: string, o: { programs: string[]; dirs: string[]; links: [string, string][] }): void {
  const files = new Set<string>();
  for (const p of o.programs) {
    // Debian's own programs, not whatever a user put first on PATH (pyenv shims, say).
    const file = p.startsWith('/') ? p
      : DEBIAN_PATH.split(':').map((d) => path.join(d, p)).find((f) => existsSync(f));
    if (!file) throw new Error(`${p} is not installed on this machine (needed for an image)`);
    files.add(file);
  }
  for (const d of o.dirs) {
    cpSync(d, path.join(root, d), { recursive: true, dereference: false, filter: (src) =>
      !/\/(test|tests|__pycache__|idlelib|tkinter|ensurepip|lib2to3|turtledemo)$/.test(src) });
    const dynload = path.join(d, 'lib-dynload');
    if (existsSync(dynload)) {
      for (const so of readdirSync(dynload)) for (const lib of sharedLibraries(path.join(dynload, so))) files.add(lib);
    }
  }
  for (const f of [...files]) for (const lib of sharedLibraries(f)) files.add(lib);
  for (const f of files) copyTo(root, f);
  for (const [link, target] of o.links) {
    mkdirSync(path.dirname(path.join(root, link)), { recursive: true });
    if (!existsSync(path.join(root, link))) symlinkSync(target, path.join(root, link));
  }
}
