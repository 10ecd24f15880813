// A pod's init containers, run as the kubelet runs them: in order, each to completion, before the pod's containers,
// every time the pod starts (a new pod: a Multus restart runs them again). Each runs its own command and args, with
// the kubelet's $(VAR) expansion from the container's environment, in a mount namespace that shows the same volumes
// the Multus container sees (multus-containers.ts). Upstream's 3.9 thick-plugin needs them: install-multus-binary
// copies the thin `multus` binary to the node, and generate-kubeconfig writes the node's multus.kubeconfig from the
// pod's projected token — once.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import type { V1Container } from '@kubernetes/client-node';
import { inMountNamespace, type Bind } from './mount-ns.ts';

/** The kubelet's expansion of a command or arg: $(VAR) from the environment (kept as is when undefined), $$ → $. */
export function expandVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g,
    (whole, name: string | undefined) => (name === undefined ? '$' : env[name] ?? whole));
}

/** Runs one init container to its end; rejects with its exit status when it fails. */
function runOne(c: V1Container, binds: readonly Bind[], scratch: string, env: Record<string, string>,
  logFile: string): Promise<void> {
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => expandVars(a, env));
  const [exe, ...args] = argv;
  if (exe === undefined) return Promise.reject(new Error(`init container ${c.name} has no command`));
  const { command, args: wrapped } = inMountNamespace(binds, exe, args, { scratch, privateTmp: true });
  const fd = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(command, wrapped, { env, cwd: '/', stdio: ['ignore', fd, fd] });
    child.on('error', reject);
    child.on('exit',
      (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`init container ${c.name} exited ${signal ?? code}`)));
  });
}

/** Runs the pod's init containers in order; `bindsFor` gives each one's volumes (its image decides its binaries). */
export async function runInitContainers(initContainers: readonly V1Container[],
  bindsFor: (c: V1Container) => readonly Bind[], scratch: string, baseEnv: Readonly<Record<string, string>>,
  logFile: string): Promise<void> {
  for (const c of initContainers) {
    const env: Record<string, string> = { ...baseEnv };
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
    await runOne(c, bindsFor(c), scratch, env, logFile);
  }
}
