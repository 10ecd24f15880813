// Test infrastructure for the no-token-leak check (test/e2e/support/token-leak.ts): every token the suite
// puts on a node (minted for a Multus container by local-cluster/agent/multus-containers.ts, or by
// mintToken/legacyToken) is appended to <root>/minted-tokens, and every rotator run's stdout and stderr to
// <root>/rotator-output.log. Both files live in the cluster's state directory, so they start empty with each new
// cluster. Recording never fails a test: a write error is ignored.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultRoot } from '../cluster.ts';

export const MINTED_TOKENS_FILE = 'minted-tokens';
export const ROTATOR_OUTPUT_FILE = 'rotator-output.log';

/** Appends a token the suite minted or wrote to a node (one per line). */
export function recordMintedToken(token: string, root: string = defaultRoot): void {
  try {
    appendFileSync(path.join(root, MINTED_TOKENS_FILE), `${token.replace(/\s+/g, '')}\n`, { mode: 0o600 });
  } catch {
    // the cluster directory may not exist (a unit-style use): nothing to record into
  }
}

/** Appends one rotator run's output. */
export function recordRotatorOutput(run: { stdout: string; stderr: string }, args: readonly string[] = [],
  root: string = defaultRoot): void {
  try {
    appendFileSync(path.join(root, ROTATOR_OUTPUT_FILE),
      `=== rotate.ts ${args.join(' ')}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n`, { mode: 0o600 });
  } catch {
    // as above
  }
}

/** Every recorded token, de-duplicated. */
export function readMintedTokens(root: string = defaultRoot): string[] {
  const file = path.join(root, MINTED_TOKENS_FILE);
  if (!existsSync(file)) return [];
  return [...new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean))];
}

/** Everything the rotator printed during the suite. */
export function readRotatorOutput(root: string = defaultRoot): string {
  const file = path.join(root, ROTATOR_OUTPUT_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
