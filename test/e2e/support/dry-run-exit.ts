// The exit code a dry run's JSON output calls for: 3 when it leaves something to do (a planned or deferred node, an
// unreadable one), otherwise 0 (scripts/report/exit-codes.ts). For tests whose cluster state decides which one.
export function dryRunExit(stdout: string): 0 | 3 {
  const { findings, plan } = JSON.parse(stdout) as { findings: { class: string }[];
    plan: { steps: unknown[]; deferred: unknown[] } };
  return plan.steps.length > 0 || plan.deferred.length > 0 || findings.some((f) => f.class === 'unreadable') ? 3 : 0;
}
