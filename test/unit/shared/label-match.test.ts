import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelSelector } from '../../../scripts/model.ts';
import { matchesLabelSelector } from '../../../scripts/shared/label-match.ts';

test('matchesLabelSelector implements metav1.LabelSelector', () => {
  const labels = { app: 'web', tier: 'frontend' };
  const cases: [string, LabelSelector, boolean][] = [
    ['empty selector matches everything', {}, true],
    ['empty lists match everything', { matchLabels: {}, matchExpressions: [] }, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, false],
    ['matchLabels missing key', { matchLabels: { zone: 'a' } }, false],
    ['In matches', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend', 'frontend'] }] }, true],
    ['In misses', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] }, false],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['In without values is invalid', { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] }, false],
    ['NotIn matches', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }] }, true],
    ['NotIn misses', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] }, false],
    ['NotIn on a missing key', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['Exists on a missing key', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['Exists with values is invalid', { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['web'] }] },
      false],
    ['DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist on a present key', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['unknown operator matches nothing', { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
      false],
    ['operators are case-sensitive', { matchExpressions: [{ key: 'app', operator: 'in', values: ['web'] }] }, false],
    [
      'matchLabels AND matchExpressions',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] },
      false,
    ],
    [
      'both satisfied',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      true,
    ],
  ];
  for (const [name, selector, want] of cases) {
    assert.equal(matchesLabelSelector(selector, labels), want, name);
  }
  assert.equal(matchesLabelSelector({}, {}), true);
  assert.equal(matchesLabelSelector({ matchLabels: { constructor: 'x' } }, {}), false);
});
