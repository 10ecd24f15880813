import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lifetimeAdvisories } from '../../../scripts/classify/lifetime-advisory.ts';
import type { NodeFinding, TokenClaims, TokenClass } from '../../../scripts/model.ts';

const IAT = 1_767_225_600;

function finding(node: string, claims: TokenClaims | undefined, cls: TokenClass = 'expired'): NodeFinding {
  const f: NodeFinding = {
    node,
    multusPod: { namespace: 'kube-system', name: `multus-${node}`, uid: `uid-${node}` },
    class: cls,
    reason: 'r',
  };
  if (claims !== undefined) f.claims = claims;
  return f;
}

const short: TokenClaims = { podUid: 'p', iat: IAT, exp: IAT + 3607 };
const extended: TokenClaims = { podUid: 'p', iat: IAT, exp: IAT + 365 * 86400, warnafter: IAT + 3607 };

test('no advice when tokens were extended, are long-lived, unbound, or self-refreshing', () => {
  const cases: [string, NodeFinding[]][] = [
    ['none', []],
    ['extended', [finding('a', extended, 'healthy')]],
    ['short but with warnafter', [finding('a', { ...short, warnafter: IAT + 3607 })]],
    ['3 hours', [finding('a', { podUid: 'p', iat: IAT, exp: IAT + 3 * 3600 }, 'healthy')]],
    ['not pod-bound', [finding('a', { iat: IAT, exp: IAT + 3600 })]],
    ['no iat', [finding('a', { podUid: 'p', exp: IAT + 3600 })]],
    ['self-refreshing', [finding('a', short, 'self-refreshing')]],
    ['no claims', [finding('a', undefined, 'unreadable')]],
  ];
  for (const [name, findings] of cases) {
    assert.deepEqual(lifetimeAdvisories(findings), [], name);
  }
});

test('short, unextended pod-bound tokens get one advisory that says how many, how long, why and what to do', () => {
  const advice = lifetimeAdvisories([
    finding('a', short),
    finding('b', short, 'expiring'),
    finding('c', extended, 'healthy'),
    finding('d', { ...short, exp: IAT + 7200 }, 'expiring'),
  ]);
  assert.equal(advice.length, 1);
  const [text = ''] = advice;
  assert.match(text, /On 3 nodes/);
  assert.match(text, /lives only 1h to 2h/);
  assert.match(text, /--service-account-extend-token-expiration=false/);
  assert.match(text, /CIS-hardened/);
  assert.match(text, /scheduled restart cannot keep up/);
  assert.match(text, /thick plugin/);
  assert.match(text, /4\.x thin plugin with --cleanup-config-on-exit=true/);
  assert.match(lifetimeAdvisories([finding('a', short)])[0] ?? '', /On 1 node the Multus token .* lives only 1h with/);
});
