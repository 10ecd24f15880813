import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelValueProblem, parseLabelSelector, qualifiedNameProblem } from '../../../scripts/config/label-selector.ts';
import type { ParsedSelector } from '../../../scripts/config/label-selector.ts';

function parsed(text: string): ParsedSelector {
  const r = parseLabelSelector(text);
  assert.ok(r.ok, `expected "${text}" to parse: ${r.ok ? '' : r.message}`);
  return r.selector;
}

test('parseLabelSelector builds the structured form of every operator', () => {
  assert.deepEqual(parsed('app=multus, tier==node,env!=dev').requirements, [
    { key: 'app', operator: 'equals', values: ['multus'] },
    { key: 'tier', operator: 'equals', values: ['node'] },
    { key: 'env', operator: 'notEquals', values: ['dev'] },
  ]);
  assert.deepEqual(parsed('env in (a, b),zone notin (x),k8s.io/app,!legacy').requirements, [
    { key: 'env', operator: 'in', values: ['a', 'b'] },
    { key: 'zone', operator: 'notin', values: ['x'] },
    { key: 'k8s.io/app', operator: 'exists', values: [] },
    { key: 'legacy', operator: 'doesNotExist', values: [] },
  ]);
  assert.deepEqual(parsed('a=').requirements, [{ key: 'a', operator: 'equals', values: [''] }]);
  assert.deepEqual(parsed('gen>3,gen<10').requirements, [
    { key: 'gen', operator: 'gt', values: ['3'] },
    { key: 'gen', operator: 'lt', values: ['10'] },
  ]);
  assert.deepEqual(parsed('').requirements, []);
  assert.equal(parsed('app=multus').text, 'app=multus');
});

test('parseLabelSelector refuses invalid selectors with a reason', () => {
  const cases: [string, RegExp][] = [
    ['app=multus,', /ends with ","/],
    [',app', /expected a label key/],
    ['app in x', /expected "\("/],
    ['app in (a b)', /expected "," or "\)"/],
    ['app in ()', /value list of "app" is empty/],
    ['app in (a', /expected "," or "\)"/],
    ['app=a=b', /expected "," between requirements/],
    ['-app=x', /must start and end with a letter or digit/],
    ['a/b/c=x', /more than one "\/"/],
    ['Example.COM/app=x', /prefix "Example.COM"/],
    ['/app=x', /empty prefix/],
    [`${'a'.repeat(64)}=x`, /64 characters long, more than 63/],
    [`app=${'v'.repeat(64)}`, /64 characters long, more than 63/],
    ['app=bad value', /expected "," between requirements/],
    ['app=-x', /value "-x"/],
    ['gen>x', /needs an integer/],
    ['app multus', /expected an operator/],
    ['!', /expected a label key/],
  ];
  for (const [text, message] of cases) {
    const r = parseLabelSelector(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) {
      assert.match(r.message, message, text);
      assert.ok(r.message.includes(`"${text}"`), r.message);
      assert.match(r.fix, /app=multus/);
    }
  }
});

test('qualifiedNameProblem and labelValueProblem accept valid names', () => {
  for (const key of ['app', 'multus-token-rotator.io/skip', 'a.b_c-d', 'k8s.v1.cni.cncf.io/networks', 'A1']) {
    assert.equal(qualifiedNameProblem(key), undefined, key);
  }
  for (const value of ['', 'node', 'v1.2_3-x', 'A'.repeat(63)]) {
    assert.equal(labelValueProblem(value), undefined, value);
  }
  assert.match(qualifiedNameProblem('app/') ?? '', /empty name/);
});
