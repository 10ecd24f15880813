// Reliability: no token leaks. Every token recorded so far (the node agent's TokenRequests for its Multus containers,
// local-cluster/agent/multus-containers.ts, and mintToken/legacyToken in the tests: see
// local-cluster/seed/token-log.ts) is searched for — whole, and its signature alone — in everything the rotator printed
// (<root>/rotator-output.log, appended by every runRotator/startRotator), in every summary ConfigMap in every
// namespace, and in every Event in every namespace (support/token-leak.ts). This file does not depend on running
// last: it makes one rotation of its own, so that it has tokens, output, a summary and Events to search wherever it
// runs. The same search over everything the whole suite minted and printed runs after the last file, in
// global-setup.ts's teardown.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { clusterEnv, nodeKubeconfigFile, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { multusPods, restoreNodeFileAfter } from '../../../local-cluster/seed/multus.ts';
import { multusKubeconfig, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { boundToken } from '../../../local-cluster/seed/tokens.ts';
import { runLocal } from '../support/run-rotator.ts';
import { describeSearch, fingerprint, searchForTokens } from '../support/token-leak.ts';

const env = clusterEnv();

async function podOn(node: string): Promise<V1Pod> {
  const p = (await multusPods(env)).find((x) => x.spec?.nodeName === node);
  assert.ok(p, `a Multus pod on ${node}`);
  return p;
}

test('no token the cluster minted so far appears in the output, a summary or an Event', async (t) => {
  // One rotation of our own: an expired token on a node, acted on, so that this test has a before and an after token,
  // a summary that names both by fingerprint, and Events — even when it runs alone.
  const node = env.nodes[0] ?? '';
  restoreNodeFileAfter(t, env, node);
  const ns = await withNamespace(t, env);
  const expired = await boundToken(env, await podOn(node), -300);
  writeNodeFile(t, env.root, node, multusKubeconfig(expired));
  const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace',
    ns, '--step-timeout', '20s']);
  assert.equal(run.code, 0, `the rotation ran and left nothing to do: ${run.stderr.slice(-2000)}`);
  const rotated = (JSON.parse(run.stdout) as { execution?: { nodes: { node: string; outcome: string }[] } })
    .execution?.nodes.find((n) => n.node === node);
  assert.equal(rotated?.outcome, 'rotated', run.stderr);
  const fresh = /token: "([^"]+)"/.exec(readFileSync(nodeKubeconfigFile(env.root, node), 'utf8'))?.[1];
  assert.ok(fresh, 'the simulator wrote a fresh token');

  // What was minted, and where to look.
  const found = await searchForTokens(env);
  const { tokens, output, summaries, rotatorEvents } = found;
  console.log(`no-token-leak: ${describeSearch(found)}`);

  // The test must be able to fail: there is something to search for, and something to search in.
  assert.ok(tokens.includes(expired), 'the token this test minted was recorded (mintToken → minted-tokens)');
  assert.ok(tokens.includes(fresh),
    'the token the node agent wrote was recorded (multus-containers.ts → minted-tokens)');
  assert.ok(tokens.length >= env.nodes.length + 1, `tokens recorded: ${tokens.length}`);
  assert.ok(output.includes(run.stdout) && output.length > 1000,
    'the rotator output was recorded (runRotator → rotator-output.log)');
  assert.ok(summaries.count >= 1, 'at least one summary ConfigMap to search');
  assert.ok(rotatorEvents >= 1, 'at least one Event from the rotator to search');
  // The haystacks are the right ones: they name these tokens, by fingerprint only.
  assert.ok(output.includes(fingerprint(expired)) && output.includes(fingerprint(fresh)),
    'the output names the before and after tokens by fingerprint');
  assert.ok(summaries.text.includes(fingerprint(expired)), 'the summary names the token by fingerprint');

  assert.ok(found.needles >= tokens.length, `searched for ${found.needles} strings`);
  assert.deepEqual(found.leaks, [], 'no token, and no token signature, anywhere');
});
