import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import { envName, FLAGS } from '../../../scripts/config/flag-table.ts';
import { parseSettings, resolveNamespaces } from '../../../scripts/config/parse-config.ts';
import { parseConfig } from '../support/parse-config.ts';

test('each flag, short name and variable is in the table once', () => {
  for (const names of [FLAGS.map((f) => f.flag), FLAGS.flatMap((f) => f.short ?? []),
    FLAGS.map((f) => envName(f.flag))]) {
    assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
  }
  const keys = FLAGS.flatMap((f) => f.key ?? []);
  assert.deepEqual(keys.filter((k, i) => keys.indexOf(k) !== i), [], 'one flag per Config field');
});

test("parseSettings needs no namespace; resolveNamespaces fills the two that default to the job's own", () => {
  const parsed = parseSettings(['--summary-namespace', 'reports'], {});
  assert.ok(parsed.ok);
  assert.equal(parsed.settings.leaseNamespace, undefined);
  const resolved = resolveNamespaces(parsed.settings, 'mtr-system');
  assert.ok(resolved.ok);
  assert.equal(resolved.config.summaryNamespace, 'reports');
  assert.equal(resolved.config.leaseNamespace, 'mtr-system');
  assert.ok(Object.isFrozen(resolved.config));
  assert.deepEqual(resolved.config,
    (parseConfig(['--summary-namespace', 'reports'], {}, { defaultNamespace: 'mtr-system' }) as { config: unknown })
      .config);
});

test('a job namespace that is not a valid name is a problem only when it is needed', () => {
  const parsed = parseSettings([], {});
  assert.ok(parsed.ok);
  const bad = resolveNamespaces(parsed.settings, 'Not Valid');
  assert.equal(bad.ok, false);
  assert.equal(bad.ok ? '' : bad.problems[0]?.source, 'namespace of the job');
  const given = parseSettings(['--summary-namespace', 'a', '--lease-namespace', 'b'], {});
  assert.ok(given.ok && resolveNamespaces(given.settings, 'Not Valid').ok);
});

test('--help returns the defaults, and an empty namespace flag says what is used without it', () => {
  const help = parseSettings(['--help', '--bogus'], {});
  assert.ok(help.ok && help.help);
  assert.equal(help.settings.maxNodes, DEFAULTS.maxNodes);
  const empty = parseSettings(['--lease-namespace='], {});
  assert.equal(empty.ok ? '' : empty.problems[0]?.fix,
    "give a value or leave --lease-namespace out to use the job's namespace");
});
