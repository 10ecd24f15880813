// The --help text, generated from the flag table: every flag, its environment variable and its default, one line each.
import { envName, FLAGS } from './flag-table.ts';

export function usage(): string {
  const left = FLAGS.map((f) => {
    const names = f.short === undefined ? `    --${f.flag}` : `-${f.short}, --${f.flag}`;
    return f.arg === undefined ? names : `${names} ${f.arg}`;
  });
  const envs = FLAGS.map((f) => (f.env === false ? '-' : envName(f.flag)));
  const width = Math.max(...left.map((l) => l.length));
  const envWidth = Math.max(...envs.map((e) => e.length));
  const lines = FLAGS.map(
    (f, i) =>
      `  ${(left[i] ?? '').padEnd(width)}  ${(envs[i] ?? '').padEnd(envWidth)}  ${f.help} (default: ${f.shown})`,
  );
  return [
    'Usage: multus-token-rotator [flags]',
    '',
    'Finds Multus thin-plugin kubeconfig tokens that expire or were invalidated and restarts, node by node, the',
    'Multus pod and then the pods that depend on it. Without --execute it only reports what it would do.',
    '',
    'FLAGS (each can also be set by the environment variable shown; a flag wins over its variable;',
    'booleans in the environment accept true/false, 1/0, yes/no; durations: 90s, 15m, 1h30m, 7d):',
    ...lines,
  ].join('\n');
}
