// One judge for a whole run: its exit code, its one-line outcome (the summary's `outcome` key) and whether that code
// only says "locked" or "deferred" (--exit-zero-on). It decides on types — node and pod outcomes, their causes, the
// lease, the signal — never on the executor's wording, which it only prints. run-once.ts calls it once, before the
// summary is written; what the verdict becomes when that write fails is part of the judgement. Pure.
import type { SoftOutcome } from '../config/config.ts';
import type { ExecutionReport, NodeFinding, RestartPlan, RunMode } from '../model.ts';
import { EXIT, exitCodeForRun } from './exit-codes.ts';
import { leftThisRun } from './left-work.ts';
import { outcomeOf } from './run-outcome.ts';
import { withoutByDesign } from './soft-exit.ts';

export interface RunToJudge {
  findings: NodeFinding[];
  plan: RestartPlan;
  execution: ExecutionReport | undefined;
  /** The run's mode; 'dry-run' for an acting run that was not confirmed (its steps are left undone). */
  mode: RunMode;
  /** Stopped by SIGTERM or SIGINT. */
  interrupted: boolean;
  /** Another run holds the lease, so this one did nothing. */
  leaseHeld: boolean;
  /** Acting could not start: the exit code of its error (error-exit.ts). */
  failedToAct?: number;
}

export interface RunVerdict {
  exitCode: number;
  outcome: string;
  soft?: SoftOutcome;
}

export interface RunJudgement extends RunVerdict {
  /**
   * The verdict once the summary could not be written, which loses what the run left for the next one (so work left
   * is no longer soft): `setup` when its namespace does not exist (a setup step: the run's code is kept), `failed`
   * otherwise (a run that was OK exits CLUSTER, 'summary not written').
   */
  unrecorded: { setup: RunVerdict; failed: RunVerdict };
}

export function judgeRun(run: RunToJudge): RunJudgement {
  const { findings, plan, execution, mode } = run;
  const opts = { interrupted: run.interrupted, leaseHeld: run.leaseHeld };
  const exitCode = run.failedToAct ?? exitCodeForRun(findings, plan, execution, mode, opts);
  const outcome = outcomeOf(findings, plan, exitCode, execution, run.leaseHeld);
  // Soft: 'locked' is all the code says, or 'deferred': the same rules find nothing wrong once the work left by
  // design is taken out (soft-exit.ts).
  const stripped = withoutByDesign(plan, execution);
  const soft: SoftOutcome | undefined = exitCode === EXIT.LOCKED ? 'locked'
    : exitCode === EXIT.ATTENTION && mode === 'execute' &&
        exitCodeForRun(findings, stripped.plan, stripped.execution, mode, opts) === EXIT.OK ? 'deferred'
    : undefined;
  const verdict = (s: SoftOutcome | undefined): RunVerdict => ({ exitCode, outcome, ...(s ? { soft: s } : {}) });
  // Work left for later is only soft when the next run will find it in the summary.
  const unrecorded = verdict(leftThisRun(plan, execution) === 0 ? soft : undefined);
  return { ...verdict(soft),
    unrecorded: { setup: unrecorded,
      failed: exitCode === EXIT.OK ? { exitCode: EXIT.CLUSTER, outcome: 'summary not written' } : unrecorded } };
}
