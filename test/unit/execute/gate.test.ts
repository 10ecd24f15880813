import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMaintenanceWindow } from '../../../scripts/config/maintenance-window.ts';
import { DEFAULTS, type Config } from '../../../scripts/config/config.ts';
import { gate } from '../../../scripts/execute/execute-plan.ts';

const t0 = Date.parse('2026-11-27T02:00:00Z'); // a Friday, 03:00 in Berlin

function deps(extra: Partial<Config> = {}, signal = new AbortController().signal) {
  return { config: { ...DEFAULTS, stepTimeoutMs: 5 * 60_000, ...extra } as unknown as Config, signal };
}

test('a node may start when its step timeout fits before the deadline', () => {
  assert.equal(gate(deps(), t0, { deadline: t0 + 5 * 60_000 }), undefined);
  const closed = gate(deps(), t0, { deadline: t0 + 5 * 60_000 - 1 });
  assert.equal(closed?.cause, 'deadline');
  assert.match(closed?.reason ?? '', /--deadline.*--step-timeout/);
});

test('outside the maintenance window nothing starts; inside it does (windows may cross midnight)', () => {
  const w = parseMaintenanceWindow('Thu-Fri 22:00-06:00 Europe/Berlin');
  assert.ok(w.ok);
  if (!w.ok) return;
  assert.equal(gate(deps({ window: w.window }), t0, { deadline: t0 + 3600_000 }), undefined);
  const noon = Date.parse('2026-11-27T11:00:00Z');
  const outside = gate(deps({ window: w.window }), noon, { deadline: noon + 3600_000 });
  assert.equal(outside?.cause, 'window');
  assert.match(outside?.reason ?? '', /maintenance window/);
});

test('a stop signal closes the gate with its reason', () => {
  const c = new AbortController();
  c.abort('interrupted by SIGTERM');
  assert.deepEqual(gate(deps({}, c.signal), t0, { deadline: t0 + 3600_000 }), { cause: 'signal',
    reason: 'interrupted by SIGTERM' });
});
