// How a Multus container keeps its kubeconfig token, read from its command, args and image as Multus itself reads
// them (checked against multus-cni v3.9.3 and v4.2.2):
// - thick (multus-daemon, both majors): client-go in-cluster config, refreshes itself;
// - 4.x thin (/thin_entrypoint, spf13/pflag): rewrites the kubeconfig when the token changes only with
//   --cleanup-config-on-exit=true, --multus-conf-file=auto (the default) and no --skip-config-watch;
// - 3.x thin (/entrypoint.sh): writes the kubeconfig once; its --cleanup-config-on-exit loop watches the master CNI
//   config, never the token.
// A container without `command` runs its image's ENTRYPOINT with `args`: thick images run multus-daemon, 4.x thin
// images /thin_entrypoint, 3.x images /entrypoint.sh.
// - 3.9's "thick-plugin" (v3.9.3 deployments/multus-daemonset-thick-plugin.yml) is thin in effect: its multus-daemon
//   (cmd/controller) only generates 00-multus.conf, while the host runs the thin `multus` binary that the
//   install-multus-binary init container copies, reading a kubeconfig that the generate-kubeconfig init container
//   writes once. Told from 4.x thick (whose daemon serves CNI with client-go's refreshing credentials) by that init
//   container, by an init container copying the thin binary, or by a 3.x image tag. Pure.
import type { MultusMode } from '../model.ts';

export type Entrypoint = 'thick' | 'thin-4' | 'thin-3' | 'unknown';

export interface ContainerLike {
  command?: string[];
  args?: string[];
  image?: string;
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);
const base = (word: string): string => word.slice(word.lastIndexOf('/') + 1);

function entrypointOfWord(word: string): Entrypoint | undefined {
  switch (base(word)) {
    case 'multus-daemon':
      return 'thick';
    case 'thin_entrypoint':
      return 'thin-4';
    case 'entrypoint.sh':
      return 'thin-3';
    default:
      return undefined;
  }
}

/** The ENTRYPOINT of a Multus image, from its name and tag (Dockerfile, Dockerfile.thick of each release). */
export function imageEntrypoint(image: string): Entrypoint {
  const noDigest = image.split('@')[0] ?? '';
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const repo = (colon > slash ? noDigest.slice(0, colon) : noDigest).toLowerCase();
  const tag = (colon > slash ? noDigest.slice(colon + 1) : '').toLowerCase();
  if (!/multus/.test(repo.slice(repo.lastIndexOf('/') + 1))) return 'unknown';
  if (/thick/.test(tag) || /thick/.test(repo)) return 'thick';
  if (/(^|\/)nfvpe\/multus$/.test(repo)) return 'thin-3'; // the 3.x-era image (docker.io/nfvpe/multus)
  const major = /^v?(\d+)\./.exec(tag)?.[1];
  if (major !== undefined) return Number(major) <= 3 ? 'thin-3' : 'thin-4';
  if (/^snapshot/.test(tag)) return 'thin-4'; // ghcr.io/k8snetworkplumbingwg/multus-cni:snapshot: master, 4.x layout
  return 'unknown'; // latest, stable, a digest only: the entrypoint is not known from the name
}

/** Split a `sh -c` script into the words of each simple command (quotes respected; no expansion). */
function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < script.length) word += script[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (c === '\n') endCommand();
      else endWord();
    } else if (c === ';' || c === '&' || c === '|') {
      endCommand();
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Which entrypoint the container runs and the arguments it gets. */
export function entrypointOf(c: ContainerLike): { entrypoint: Entrypoint; args: string[] } {
  const command = c.command ?? [];
  const args = c.args ?? [];
  if (command.length === 0) {
    return { entrypoint: imageEntrypoint(c.image ?? ''), args };
  }
  const argv = [...command, ...args];
  // sh -c 'exec /thin_entrypoint --flag=…': look inside the script.
  if (SHELLS.has(base(argv[0] ?? ''))) {
    const dashC = argv.indexOf('-c');
    const script = dashC >= 0 ? argv[dashC + 1] : undefined;
    if (script !== undefined) {
      for (const words of shellCommands(script)) {
        const at = words.findIndex((w) => entrypointOfWord(w) !== undefined);
        if (at >= 0) {
          return { entrypoint: entrypointOfWord(words[at] as string) as Entrypoint, args: words.slice(at + 1) };
        }
      }
      return { entrypoint: 'unknown', args: [] };
    }
  }
  const at = argv.findIndex((w) => entrypointOfWord(w) !== undefined);
  if (at >= 0) return { entrypoint: entrypointOfWord(argv[at] as string) as Entrypoint, args: argv.slice(at + 1) };
  return { entrypoint: 'unknown', args };
}

/** thin_entrypoint's boolean flags (pflag: a bare `--flag` is true and never takes the next argument). */
const THIN4_BOOLS = new Set([
  'skip-multus-binary-copy',
  'namespace-isolation',
  'multus-log-to-stderr',
  'override-network-name',
  'cleanup-config-on-exit',
  'skip-config-watch',
  'rename-conf-file',
  'skip-tls-verify',
  'force-cni-version',
  'help',
]);

/** strconv.ParseBool's true values, in any case. */
const isTrue = (value: string): boolean => ['1', 't', 'true'].includes(value.toLowerCase());

/**
 * thin_entrypoint's flags as pflag reads them: `--flag=value`, `--flag value` (string flags only), a bare boolean
 * `--flag`; also the single-dash `-flag` / `-flag=value` of Go's flag package; the last occurrence wins; `--` ends
 * the flags. Returns each flag's last value.
 */
export function thinEntrypointFlags(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (eq >= 0) {
      flags.set(name, body.slice(eq + 1));
    } else if (THIN4_BOOLS.has(name)) {
      flags.set(name, 'true');
    } else if (i + 1 < args.length) {
      flags.set(name, args[++i] as string);
    }
  }
  return flags;
}

/** The major version in an image's tag (`v3.9.2-thick-amd64` → 3), if the tag starts with one. */
function imageMajor(image: string): number | undefined {
  const noDigest = image.split('@')[0] ?? '';
  const colon = noDigest.lastIndexOf(':');
  if (colon <= noDigest.lastIndexOf('/')) return undefined;
  const major = /^v?(\d+)\./.exec(noDigest.slice(colon + 1))?.[1];
  return major === undefined ? undefined : Number(major);
}

/** The commands an init container runs: its command and args, or each command of a `sh -c` script. */
function initCommands(c: ContainerLike): string[][] {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const dashC = argv.indexOf('-c');
  if (SHELLS.has(base(argv[0] ?? '')) && dashC >= 0) return shellCommands(argv[dashC + 1] ?? '');
  return [argv];
}

/**
 * A multus-daemon pod that is Multus 3.9's thick-plugin: the host's CNI binary is the thin `multus`, reading the
 * kubeconfig an init container wrote at pod start (see the header).
 */
export function isThinInEffect(c: ContainerLike, initContainers: readonly ContainerLike[]): boolean {
  const commands = initContainers.flatMap(initCommands);
  if (commands.some((words) => words.some((w) => base(w) === 'generate-kubeconfig'))) return true;
  // `cp …/bin/multus /host/opt/cni/bin/multus`: the thin CNI binary (4.x thick copies multus-shim).
  if (commands.some((words) => base(words[0] ?? '') === 'cp' && words.slice(1, -1).some((w) => base(w) === 'multus'))) {
    return true;
  }
  const major = imageMajor(c.image ?? '');
  return major !== undefined && major <= 3;
}

/**
 * How this Multus container keeps its token: 4.x thick and 4.x thin with its token watch refresh themselves; 3.9's
 * thick-plugin (told by its init containers) is thin in effect.
 */
export function multusModeOf(c: ContainerLike | undefined, initContainers: readonly ContainerLike[] = []): MultusMode {
  if (c === undefined) return 'thin';
  const { entrypoint, args } = entrypointOf(c);
  if (entrypoint === 'thick') return isThinInEffect(c, initContainers) ? 'thin' : 'thick';
  if (entrypoint !== 'thin-4') return 'thin'; // 3.x never refreshes its copy; unknown: read and judge the file
  const flags = thinEntrypointFlags(args);
  const cleanup = isTrue(flags.get('cleanup-config-on-exit') ?? 'false');
  const skipWatch = isTrue(flags.get('skip-config-watch') ?? 'false');
  const auto = (flags.get('multus-conf-file') ?? 'auto') === 'auto';
  return cleanup && auto && !skipWatch ? 'thin-token-watch' : 'thin';
}
