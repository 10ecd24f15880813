// Rules between flags, after each flag's own value is read (flag-table.ts): the run mode, in-cluster detection and
// its contradictions, the step timeout against the deadline, defaults taken from another flag, and the namespaces
// that default to the job's own, which are only known after connecting.
import type { RunMode } from '../model.ts';
import type { RawValue } from './coerce.ts';
import type { Config } from './config.ts';
import { isDnsLabel } from './dns-names.ts';
import { SERVICE_ACCOUNT_ROOT_ENV } from './flag-table.ts';

export interface ConfigProblem {
  /** The flag ('--max-nodes') or environment variable ('MTR_MAX_NODES') the value came from. */
  source: string;
  value?: string;
  message: string;
  fix: string;
}

/** Everything but the namespaces that default to the job's own (resolveNamespaces fills them). */
export type Settings = Omit<Config, 'summaryNamespace' | 'leaseNamespace'> & Partial<
  Pick<Config, 'summaryNamespace' | 'leaseNamespace'>
>;

export interface RuleContext {
  /** Each flag's value by flag name: given, or its default. */
  value: (flag: string) => unknown;
  raw: (flag: string) => RawValue | undefined;
  env: Record<string, string | undefined>;
  problem: (source: string, value: string | undefined, message: string, fix: string) => void;
}

/** Sets the fields no single flag decides, and reports flags that contradict each other. */
export function applyRules(c: RuleContext, s: Partial<Settings>): void {
  // ── mode ──
  const execute = c.value('execute') === true;
  const serverDryRun = c.value('server-dry-run') === true;
  let mode: RunMode = 'dry-run';
  if (execute && serverDryRun) {
    c.problem(
      c.raw('execute')?.source ?? '--execute',
      undefined,
      `--execute and --server-dry-run were both given (${c.raw('execute')?.source ?? '--execute'}, ${
        c.raw('server-dry-run')?.source ?? '--server-dry-run'
      }): a run either changes the cluster or only asks the API server to check the changes`,
      'keep one of them: --execute to restart pods, --server-dry-run to check without changing anything',
    );
  } else if (execute) {
    mode = 'execute';
  } else if (serverDryRun) {
    mode = 'server-dry-run';
  }
  s.mode = mode;
  if (s.yes === true && !execute && !serverDryRun) {
    const r = c.raw('yes');
    c.problem(
      r?.source ?? '--yes',
      r?.text,
      '--yes skips the confirmation of --execute, but neither --execute nor --server-dry-run was given',
      'add --execute to restart pods, or drop --yes for a dry run',
    );
  }

  // ── cluster access ──
  const inClusterRaw = c.raw('in-cluster');
  if (inClusterRaw === undefined) {
    s.inCluster = (c.env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' && s.kubeconfig === undefined &&
      (c.env['KUBECONFIG'] ?? '') === '';
  } else {
    s.inCluster ??= false; // given, but not a boolean: already reported
  }
  if (inClusterRaw !== undefined && s.inCluster && s.kubeconfig !== undefined) {
    c.problem(
      inClusterRaw.source,
      inClusterRaw.text,
      `${inClusterRaw.source} and ${
        c.raw('kubeconfig')?.source ?? '--kubeconfig'
      } contradict each other: in-cluster runs use the pod's service account, not a kubeconfig`,
      'keep one: --in-cluster inside the cluster, --kubeconfig=FILE outside it',
    );
  }
  if (s.inCluster === true && s.context !== undefined) {
    const r = c.raw('context');
    c.problem(
      r?.source ?? '--context',
      s.context,
      `${r?.source ?? '--context'} names a kubeconfig context, but this run uses the in-cluster service account${
        inClusterRaw === undefined ? ' (it runs in a pod and no kubeconfig was given)' : ''
      }`,
      'drop --context, or give --kubeconfig=FILE (or --in-cluster=false) to use a kubeconfig',
    );
  }
  const root = c.env[SERVICE_ACCOUNT_ROOT_ENV];
  if (root) s.serviceAccountRoot = root;

  // ── acting ──
  if ((s.stepTimeoutMs ?? 0) >= (s.runDeadlineMs ?? 0)) {
    const step = c.raw('step-timeout');
    const deadline = c.raw('deadline');
    c.problem(
      step?.source ?? deadline?.source ?? '--step-timeout',
      step?.text ?? deadline?.text,
      `the step timeout (${step?.text ?? '5m'}) must be shorter than the deadline (${
        deadline?.text ?? '50m'
      }), or not even one node could finish`,
      'lower --step-timeout or raise --deadline',
    );
  }
}

/**
 * The summary's and the lease's namespace when not given: the job's own namespace in-cluster; locally the namespace
 * rbac.yaml creates. A problem when that default is needed and is not a valid namespace name.
 */
export function namespaceProblems(given: (flag: 'summary-namespace' | 'lease-namespace') => boolean,
  defaultNamespace: string): ConfigProblem[] {
  if (isDnsLabel(defaultNamespace) || (given('summary-namespace') && given('lease-namespace'))) return [];
  return [{
    source: 'namespace of the job',
    value: defaultNamespace,
    message:
      `the job's own namespace "${defaultNamespace}" is not a valid namespace name and is the default for the summary and the lease`,
    fix: 'give --summary-namespace and --lease-namespace explicitly',
  }];
}
