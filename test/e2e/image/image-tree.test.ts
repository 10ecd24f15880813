// The image, reproduced without a container builder (none runs on these machines): the Dockerfile is read and its
// own steps are carried out into a temporary tree — each stage's WORKDIR, COPY (through .dockerignore, or from an
// earlier stage), RUN (only `npm ci …` is understood; any other RUN fails this test until it is taught), ENV, USER
// and ENTRYPOINT. The final stage's tree is made read-only (chmod -R a-w, as readOnlyRootFilesystem) and its
// ENTRYPOINT runs as the USER's uid, with no PATH (the final stage has no shell), through the in-cluster path with
// the rbac.yaml service account's token against the local cluster. A Dockerfile whose image could not run — a file
// it forgets to copy, a dev dependency the job imports, a user that cannot read /app, a Node version other than the
// tests' — fails here.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync,
  statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import YAML from 'yaml';
import { kubectlPath, repoRoot } from '../../../local-cluster/cluster.ts';
import { clusterEnv } from '../../../local-cluster/seed/cluster-env.ts';
import { recordMintedToken, recordRotatorOutput } from '../../../local-cluster/seed/token-log.ts';
import { dryRunExit } from '../support/dry-run-exit.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  from: string;
  steps: Instruction[];
}

/** Dockerfile → stages of instructions (comments, blank lines and `\` continuations handled). */
export function parseDockerfile(text: string): Stage[] {
  const logical: { text: string; line: number }[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1) + ' ';
      return;
    }
    logical.push({ text: (buf + line).trim(), line: start });
    buf = '';
  });
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s+(.*)$/.exec(l.text);
    assert.ok(m, `Dockerfile line ${l.line}: ${l.text}`);
    const op = (m[1] ?? '').toUpperCase();
    const args = m[2] ?? '';
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `FROM at line ${l.line}`);
      stages.push({ name: f[2] ?? String(stages.length), from: f[1] ?? '', steps: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM at line ${l.line}`);
      stages.at(-1)?.steps.push({ op, args, line: l.line });
    }
  }
  return stages;
}

/** .dockerignore semantics for the patterns it uses: in order, the last matching pattern wins, `!` re-includes. */
function ignoredBy(patterns: string[]): (rel: string) => boolean {
  const rules = patterns.map((p) => p.trim()).filter((p) => p && !p.startsWith('#'))
    .map((p) => ({ negate: p.startsWith('!'), glob: p.replace(/^!/, '').replace(/^\/+/, '').replace(/\/+$/, '') }));
  return (rel) => {
    let ignored = false;
    for (const r of rules) {
      if (path.matchesGlob(rel, r.glob) || rel.startsWith(`${r.glob}/`) && !r.glob.includes('*')) ignored = !r.negate;
    }
    return ignored;
  };
}

function copyFromContext(src: string, dest: string, ignored: (rel: string) => boolean): void {
  const abs = path.join(repoRoot, src);
  assert.ok(existsSync(abs), `COPY ${src}: not in the build context`);
  const walk = (from: string, to: string) => {
    const rel = path.relative(repoRoot, from);
    if (ignored(rel)) return;
    if (lstatSync(from).isDirectory()) {
      mkdirSync(to, { recursive: true });
      for (const e of readdirSync(from)) walk(path.join(from, e), path.join(to, e));
    } else {
      mkdirSync(path.dirname(to), { recursive: true });
      cpSync(from, to);
    }
  };
  assert.ok(!ignored(src.replace(/\/$/, '')), `COPY ${src}: excluded by .dockerignore, so the build would fail`);
  walk(abs, dest);
}

/** Splits a JSON-form (exec) or shell-form argument list. */
function argv(args: string): string[] {
  return args.trim().startsWith('[') ? JSON.parse(args) as string[] : args.split(/\s+/);
}

interface Built {
  root: string;
  /** The final stage: its root, working directory, user, entrypoint, environment. */
  workdir: string;
  uid: number;
  gid: number;
  entrypoint: string[];
  env: Record<string, string>;
  nodeVersion: string;
}

/**
 * Carries out the Dockerfile. Each stage gets a directory standing for its root filesystem. The base images' own
 * contents are not reproduced, with one exception: the official Node image's /usr/local/bin/node is this test's
 * own Node binary, which must be the version its tag names.
 */
function build(stages: Stage[], ignore: (rel: string) => boolean, into: string): Built {
  const roots = new Map<string, string>();
  const nodeOf = new Map<string, string>();
  let last: Built | undefined;
  for (const stage of stages) {
    const root = path.join(into, `stage-${stage.name}`);
    mkdirSync(root, { recursive: true });
    roots.set(stage.name, root);
    let workdir = '/';
    let uid = 0;
    let gid = 0;
    let entrypoint: string[] = [];
    const stageEnv: Record<string, string> = {};
    let nodeVersion = '';
    const nodeTag = /^(?:docker\.io\/)?(?:library\/)?node:(\d+\.\d+\.\d+)/.exec(stage.from);
    if (nodeTag) {
      nodeVersion = nodeTag[1] ?? '';
      assert.equal(process.version, `v${nodeVersion}`, `stage ${stage.name} is FROM ${stage.from}, the tests run on ` +
        `${process.version}: the image must run the Node the tests run`);
      mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
      cpSync(process.execPath, path.join(root, 'usr/local/bin/node'));
    }
    const inStage = (p: string) => path.join(root, path.posix.isAbsolute(p) ? p : path.posix.join(workdir, p));
    for (const step of stage.steps) {
      switch (step.op) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, step.args.trim());
          mkdirSync(inStage('.'), { recursive: true });
          break;
        case 'ENV': {
          const m = /^(\S+?)(?:=|\s+)(.*)$/.exec(step.args.trim());
          assert.ok(m, `ENV at line ${step.line}`);
          stageEnv[m[1] ?? ''] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
          break;
        }
        case 'USER': {
          const [u, g] = step.args.trim().split(':');
          assert.match(u ?? '', /^\d+$/, `USER at line ${step.line} must be numeric (runAsNonRoot checks a uid)`);
          uid = Number(u);
          gid = Number(g ?? u);
          break;
        }
        case 'ENTRYPOINT':
          entrypoint = argv(step.args);
          break;
        case 'COPY': {
          const words = step.args.trim().split(/\s+/);
          const flags = words.filter((w) => w.startsWith('--'));
          const paths = words.filter((w) => !w.startsWith('--'));
          const dest = paths.pop() ?? '';
          const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
          assert.ok(flags.every((f) => f.startsWith('--from=')), `COPY flags at line ${step.line}: ${flags.join(' ')}`);
          for (const src of paths) {
            const target = paths.length > 1 || dest.endsWith('/') ? path.join(inStage(dest), path.posix.basename(src))
              : inStage(dest);
            if (from === undefined) {
              copyFromContext(src, target, ignore);
            } else {
              const fromRoot = roots.get(from);
              assert.ok(fromRoot, `COPY --from=${from} at line ${step.line}: no such stage`);
              const abs = path.join(fromRoot, src);
              assert.ok(existsSync(abs), `COPY --from=${from} ${src} at line ${step.line}: the stage has no ${src}`);
              mkdirSync(path.dirname(target), { recursive: true });
              cpSync(abs, target, { recursive: true });
              if (src === '/usr/local/bin/node') nodeVersion = nodeOf.get(from) ?? '';
            }
          }
          break;
        }
        case 'RUN': {
          const cmd = argv(step.args);
          // Only what this Dockerfile needs is understood; `&&` chains of npm commands are split.
          const parts = cmd.join(' ').split('&&').map((p) => p.trim().split(/\s+/));
          for (const part of parts) {
            assert.ok(part[0] === 'npm' && part[1] === 'ci',
              `RUN at line ${step.line}: only "npm ci …" is reproduced, ` +
                `not "${part.join(' ')}"; teach test/e2e/image/image-tree.test.ts the new step`);
            execFileSync('npm', [...part.slice(1), '--prefer-offline'], { cwd: inStage('.'),
              stdio: ['ignore', 'ignore', 'pipe'],
              env: { ...process.env, ...stageEnv, npm_config_update_notifier: 'false' } });
          }
          break;
        }
        case 'CMD':
        case 'LABEL':
        case 'ARG':
        case 'EXPOSE':
          break;
        default:
          assert.fail(`Dockerfile line ${step.line}: ${step.op} is not reproduced by this test`);
      }
    }
    nodeOf.set(stage.name, nodeVersion);
    last = { root, workdir, uid, gid, entrypoint, env: stageEnv, nodeVersion };
  }
  assert.ok(last, 'the Dockerfile has a stage');
  return last;
}

function sizeOf(p: string): number {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + sizeOf(path.join(p, e)), 0);
}

/** Every path in a tree with its size and mode: what a run could have changed. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    out.push(`${path.relative(root, p)} ${st.size} ${(st.mode & 0o7777).toString(8)}`);
    if (st.isDirectory()) { for (const e of readdirSync(p).sort()) walk(path.join(p, e)); }
  };
  walk(root);
  return out;
}

let tmp = '';
let image: Built;

before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mtr-image-'));
  chmodSync(tmp, 0o755);
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const ignore = ignoredBy(readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n'));
  image = build(parseDockerfile(dockerfile), ignore, tmp);
  // The image's filesystem is read-only at run time (readOnlyRootFilesystem in cronjob.yaml).
  execFileSync('chmod', ['-R', 'a-w', image.root]);
});

after(() => {
  if (tmp) {
    execFileSync('chmod', ['-R', 'u+w', tmp]);
    rmSync(tmp, { recursive: true, force: true });
  }
});

describe('the image, reproduced from the Dockerfile', () => {
  test("it holds the job and its production dependencies, nothing else; Node is the tests' version", (t) => {
    const app = path.join(image.root, image.workdir);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.equal(image.nodeVersion, pkg.devDependencies['node'], 'Node in the image = the "node" devDependency');
    assert.deepEqual(readdirSync(app).sort(), ['node_modules', 'package-lock.json', 'package.json', 'scripts']);
    // Every package the lock file marks dev-only (typescript, the node binary package, …) is absent; a dev
    // dependency that a production one also needs (@types/node, by client-node) is not dev-only.
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages).filter(([k, v]) => k !== '' && v.dev === true).map(([k]) => k);
    assert.ok(devOnly.length > 0);
    for (const dev of devOnly) assert.ok(!existsSync(path.join(app, dev)), `dev-only ${dev} is not in the image`);
    for (const dep of Object.keys(pkg.dependencies)) {
      assert.ok(existsSync(path.join(app, 'node_modules', dep, 'package.json')), `dependency ${dep} is in the image`);
    }
    assert.ok(!existsSync(path.join(image.root, 'bin/sh')) && !existsSync(path.join(image.root, 'usr/bin/npm')),
      'no shell, no npm copied into the final stage');
    assert.ok(image.uid !== 0, 'the image runs as a non-root uid');
    const cron = YAML.parse(readFileSync(path.join(repoRoot, 'cronjob.yaml'), 'utf8')) as {
      spec: {
        jobTemplate: { spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } } };
      };
    };
    const sc = cron.spec.jobTemplate.spec.template.spec.securityContext;
    assert.equal(sc.runAsUser, image.uid, "cronjob.yaml runs as the image's USER");
    assert.equal(sc.runAsGroup, image.gid);
    const nodeBin = statSync(path.join(image.root, 'usr/local/bin/node')).size;
    const appBytes = sizeOf(app);
    const deps = sizeOf(path.join(app, 'node_modules'));
    t.diagnostic(`node binary ${(nodeBin / 2 ** 20).toFixed(1)} MiB; /app ${(appBytes / 2 ** 20).toFixed(1)} MiB ` +
      `(node_modules ${(deps / 2 ** 20).toFixed(1)} MiB, ${
        readdirSync(path.join(app, 'node_modules')).length
      } entries)`);
  });

  test("its ENTRYPOINT runs, read-only, as the image's USER, in-cluster with the rbac.yaml service account", async () => {
    execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'apply', '-f', path.join(repoRoot, 'rbac.yaml')]);
    // The service-account files, as the kubelet projects them: readable by the pod's user.
    const tr = await core.createNamespacedServiceAccountToken({ name: 'multus-token-rotator',
      namespace: 'multus-token-rotator', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const token = tr.status?.token ?? '';
    assert.ok(token);
    recordMintedToken(token, env.root);
    const saRoot = path.join(tmp, 'sa');
    const saDir = path.join(saRoot, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(saDir, { recursive: true, mode: 0o755 });
    writeFileSync(path.join(saDir, 'ca.crt'), readFileSync(path.join(env.root, 'pki', 'ca.crt')), { mode: 0o644 });
    writeFileSync(path.join(saDir, 'namespace'), 'multus-token-rotator', { mode: 0o644 });
    writeFileSync(path.join(saDir, 'token'), token, { mode: 0o400 });
    chownSync(path.join(saDir, 'token'), image.uid, image.gid);
    const before = listing(image.root);

    const [bin, ...rest] = image.entrypoint;
    assert.ok(bin, 'an ENTRYPOINT');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(path.join(image.root, bin), [...rest, '-o', 'json'], {
        cwd: path.join(image.root, image.workdir),
        uid: image.uid,
        gid: image.gid,
        // No PATH: the final stage has no shell and nothing on a PATH to run.
        env: { ...image.env, HOME: '/nonexistent', KUBERNETES_SERVICE_HOST: '127.0.0.1',
          KUBERNETES_SERVICE_PORT: new URL(env.server).port, MTR_SERVICE_ACCOUNT_ROOT: saRoot },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    recordRotatorOutput({ stdout: run.stdout, stderr: run.stderr }, ['image-tree', '-o', 'json']);
    assert.equal(run.code, dryRunExit(run.stdout), `a dry run's exit code:\n${run.stderr.slice(-3000)}`);
    const result = JSON.parse(run.stdout) as { findings: { node: string; class: string }[] };
    assert.deepEqual(result.findings.map((f) => f.node).sort(), [...env.nodes].sort(), 'a finding for every node');
    assert.ok(result.findings.every((f) => f.class !== 'unreadable'), JSON.stringify(result.findings));
    const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary',
      namespace: 'multus-token-rotator' });
    assert.match(cm.data?.['summary.yaml'] ?? '', /in-cluster/);
    assert.deepEqual(listing(image.root), before, "nothing in the image's tree changed");
  });
});
