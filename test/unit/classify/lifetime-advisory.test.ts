import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lifetimeAdvisories } from '../../../scripts/classify/lifetime-advisory.ts';
import type { NodeFinding, TokenClaims, TokenClass } from '../../../scripts/model.ts';

const IAT = 1_767_225_600;
const HOUR = 3_600_000;
const CADENCE = { expiringWithinMs: 24 * HOUR, intervalMs: HOUR };

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

test('no advice when each node was granted long enough, or its token says nothing of the grant', () => {
  const cases: [string, NodeFinding[]][] = [
    ['none', []],
    ['extended', [finding('a', extended, 'healthy')]],
    ['48 hours', [finding('a', { podUid: 'p', iat: IAT, exp: IAT + 48 * 3600 }, 'healthy')]],
    ['not pod-bound', [finding('a', { iat: IAT, exp: IAT + 3600 })]],
    ['no iat', [finding('a', { podUid: 'p', exp: IAT + 3600 })]],
    ['self-refreshing', [finding('a', short, 'self-refreshing')]],
    ['no claims', [finding('a', undefined, 'unreadable')]],
  ];
  for (const [name, findings] of cases) {
    assert.deepEqual(lifetimeAdvisories(findings, CADENCE), [], name);
  }
});

test('the advisory follows the one rule (90 min and 12 h too, not only 1 h) and names the lifetime and the fix', () => {
  const advice = lifetimeAdvisories([
    finding('a', short),
    finding('b', { ...short, exp: IAT + 90 * 60 }, 'expiring'),
    finding('c', extended, 'healthy'),
    finding('d', { ...short, exp: IAT + 12 * 3600 }, 'expiring'),
  ], CADENCE);
  assert.equal(advice.length, 1);
  const [text = ''] = advice;
  assert.match(text, /On 3 nodes/);
  assert.match(text, /granted only 1h to 12h/);
  assert.match(text, /inside --expiring-within \(1d\) by the next run \(--schedule-interval 1h\)/);
  assert.match(text, /--service-account-extend-token-expiration=false/);
  assert.match(text, /CIS-hardened/);
  assert.match(text, /scheduled restart cannot keep up/);
  assert.match(text, /thick plugin/);
  assert.match(text, /4\.x thin with --cleanup-config-on-exit=true/);
  assert.match(lifetimeAdvisories([finding('a', short)], CADENCE)[0] ?? '', /On 1 node the Multus token .* only 1h:/);
});
