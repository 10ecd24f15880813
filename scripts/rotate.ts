#!/usr/bin/env zx
// multus-token-rotator: the entry point for all three ways of running it — a local zx run against a kubeconfig,
// the CronJob, and a Job created from the CronJob. It parses flags and environment (stopping before any API call on
// bad input), connects, runs the pipeline once, prints the result, and exits with a documented code.
// Logs go to stderr (text on a terminal, JSON lines otherwise); the result goes to stdout.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chalk, question } from 'zx';
import { kubeClusterReader } from './cluster/cluster-reader.ts';
import { describeError, statusCode } from './cluster/api-errors.ts';
import { connect, describeCertificateFailure, type Connection } from './cluster/connect.ts';
import { kubeClusterWriter } from './cluster/cluster-writer.ts';
import { probeGuardRails } from './cluster/guard-rail-probes.ts';
import { kubeLeaseStore, makeHolderIdentity } from './cluster/lease.ts';
import { pushMetrics } from './cluster/push-metrics.ts';
import { withRetry } from './cluster/retry.ts';
import { kubeSummaryStore } from './cluster/summary-store.ts';
import { parseSettings, resolveNamespaces } from './config/parse-config.ts';
import type { ConfigProblem } from './config/rules.ts';
import { usage } from './config/usage.ts';
import type { RunEvent } from './log/events.ts';
import { formatEvent } from './log/format-event.ts';
import { ttyProgress } from './log/tty-progress.ts';
import { errorKind, exitCodeForError } from './report/error-exit.ts';
import { describeExitCodes, EXIT } from './report/exit-codes.ts';
import { jobExitCode } from './report/soft-exit.ts';
import { renderExecutionTable } from './report/render-execution.ts';
import { renderPlanTable } from './report/render-plan.ts';
import { renderJson, renderYaml } from './report/structured-output.ts';
import type { Colorize } from './report/text-table.ts';
import { runDepsFor } from './run-deps.ts';
import { runOnce } from './run-once.ts';

function printProblems(problems: ConfigProblem[]): void {
  process.stderr.write(
    `multus-token-rotator: ${problems.length} problem(s) with the configuration; nothing was done:\n`,
  );
  for (const p of problems) {
    const value = p.value === undefined ? '' : ` = ${JSON.stringify(p.value)}`;
    process.stderr.write(`  - ${p.source}${value}: ${p.message} (fix: ${p.fix})\n`);
  }
}

const colorize: Colorize = (style, text) => chalk[style](text);

async function main(): Promise<number> {
  // `node scripts/rotate.ts …` and `zx scripts/rotate.ts …` put different things before the script's path.
  const self = fileURLToPath(import.meta.url);
  const argv = process.argv.slice(process.argv.findIndex((a) => path.resolve(a) === self) + 1);
  const env = process.env;
  const first = parseSettings(argv, env);
  if (!first.ok) {
    printProblems(first.problems);
    return EXIT.USAGE;
  }
  if (first.help) {
    process.stdout.write(`${usage()}\n\nEXIT CODES\n${describeExitCodes()}\n`);
    return EXIT.OK;
  }
  let connection: Connection;
  try {
    connection = connect({ inCluster: first.settings.inCluster, kubeconfig: first.settings.kubeconfig,
      context: first.settings.context, serviceAccountRoot: first.settings.serviceAccountRoot });
  } catch (err) {
    process.stderr.write(`multus-token-rotator: cannot connect: ${(err as Error).message}\n`);
    return EXIT.USAGE;
  }
  // The default namespace of the summary and the lease, known now: the job's own namespace in-cluster; locally the
  // namespace rbac.yaml creates, so that a laptop run shares the CronJob's lease and summary.
  const parsed = resolveNamespaces(first.settings,
    connection.via === 'in-cluster' ? connection.namespace : 'multus-token-rotator');
  if (!parsed.ok) {
    printProblems(parsed.problems);
    return EXIT.USAGE;
  }
  const config = parsed.config;
  // On a terminal: readable lines and a spinner; otherwise (a pod, a pipe): JSON lines, no spinner.
  const progress = process.stderr.isTTY ? ttyProgress(process.stderr, Date.now) : undefined;
  const emit = progress?.emit ?? ((e: RunEvent) => process.stderr.write(`${formatEvent(e, 'json', Date.now())}\n`));
  // SIGTERM/SIGINT: start nothing new, release the lease, write the summary, exit 130. A second signal exits at once.
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(EXIT.INTERRUPTED);
    stop.abort(`interrupted by ${sig}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  try {
    // Each mode is given only what it may use (run-deps.ts): a dry run no writer, only --execute the lease.
    const leases = kubeLeaseStore(connection.kc);
    const result = await runOnce(runDepsFor({
      config,
      reader: kubeClusterReader(connection.kc),
      writer: kubeClusterWriter(connection.kc),
      lease: { acquire: (opts) => withRetry(() => leases.acquire(opts)) },
      holder: makeHolderIdentity(),
      signal: stop.signal,
      // The guard rails (rbac.yaml's policies) narrow the job's service account; a local run acts with a person's own
      // rights, which they do not narrow.
      ...(connection.via === 'in-cluster'
        ? { guardRails: { jobNamespace: connection.namespace, probe: (t) => probeGuardRails(connection.kc, t) } }
        : {}),
      confirm: config.mode === 'execute' && !config.yes && interactive
        ? async (plan, findings) => {
          progress?.stop();
          process.stderr.write(
            renderPlanTable({ findings, plan, mode: config.mode, color: colorize }),
          );
          const answer = await question(`Restart Multus and its dependents on ${plan.steps.length} node(s)? [y/N] `);
          return /^y(es)?$/i.test(answer.trim());
        }
        : undefined,
      writeSummary: kubeSummaryStore(connection.kc).write,
      pushMetrics: (url, body) => pushMetrics(url, 'multus-token-rotator', body),
      via: connection.via,
      identity: connection.identity,
      now: () => Date.now(),
      emit,
    }));
    progress?.stop();
    const doc = { run: result.run, findings: result.findings, plan: result.plan, execution: result.execution,
      warnings: result.warnings };
    if (config.output === 'json') process.stdout.write(renderJson(doc));
    else if (config.output === 'yaml') process.stdout.write(renderYaml(doc));
    else {
      process.stdout.write(
        renderPlanTable({ findings: result.findings, plan: result.plan, mode: config.mode,
          color: process.stdout.isTTY ? colorize : undefined }),
      );
      if (result.execution) {
        process.stdout.write(
          renderExecutionTable({ execution: result.execution, color: process.stdout.isTTY ? colorize : undefined }),
        );
      }
    }
    const code = jobExitCode(result.exitCode, result.soft, config.exitZeroOn);
    if (code !== result.exitCode) {
      process.stderr.write(
        `multus-token-rotator: exit ${code} instead of ${result.exitCode} (${result.soft}, listed in ` +
          '--exit-zero-on); the summary keeps the real code\n',
      );
    }
    return code;
  } catch (err) {
    progress?.stop();
    const code = statusCode(err);
    const reason = describeError(err);
    // The code is judged in one place (report/error-exit.ts); here it is only said.
    const kind = errorKind(err);
    if (kind === 'refused') {
      process.stderr.write(`multus-token-rotator: the API server refused a request (${reason}); ` +
        'check the credentials and the RBAC of rbac.yaml\n');
    } else if (kind === 'certificate') {
      process.stderr.write(`multus-token-rotator: ${describeCertificateFailure(err, connection.kc) ?? reason}\n`);
    } else if (kind === 'unreachable') {
      process.stderr.write(`multus-token-rotator: cannot reach the API server: ${reason}\n`);
    } else if (kind === 'guard-rails') {
      process.stderr.write(`multus-token-rotator: ${reason}\n`);
    } else {
      // An API error's stack would carry its raw body: show its one line instead.
      const detail = code === undefined ? (err as Error).stack ?? reason : `HTTP ${code}: ${reason}`;
      process.stderr.write(`multus-token-rotator: unexpected error: ${detail}\n`);
    }
    return exitCodeForError(err);
  }
}

process.exitCode = await main();
