// Reliability, last: no token leaks. Every token the cluster minted for a node during the suite (the simulated
// kubelet's TokenRequests in local-cluster/multus-sim.ts, and mintToken/legacyToken in the tests: see
// support/token-log.ts) is searched for — whole, and its signature alone — in everything the rotator printed
// (<root>/rotator-output.log, appended by every runRotator/startRotator), in every summary ConfigMap in every
// namespace, and in every Event in every namespace. The file is named zz- so that it runs after the other
// reliability tests; it also makes one rotation of its own, so that it has tokens, output, a summary and Events
// to search even when it runs alone.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CoreV1Api, EventsV1Api, type V1Pod } from '@kubernetes/client-node';
import { clusterEnv, nodeKubeconfigFile, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { multusPods, restoreNodeFileAfter } from '../../../local-cluster/seed/multus.ts';
import { multusKubeconfig, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { runLocal } from '../support/run-rotator.ts';
import { readMintedTokens, readRotatorOutput } from '../../../local-cluster/seed/token-log.ts';
import { boundToken } from '../../../local-cluster/seed/tokens.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const SUMMARY = 'multus-token-rotator-summary';

const fingerprint = (tok: string) => createHash('sha256').update(tok, 'utf8').digest('hex').slice(0, 12);

/** Pages through a cluster-wide list, concatenating each page's JSON. */
async function allPages(
  list: (cont?: string) => Promise<{ items: unknown[]; metadata?: { _continue?: string } }>,
): Promise<{ text: string; count: number }> {
  let text = '';
  let count = 0;
  let cont: string | undefined;
  do {
    const page = await list(cont);
    text += JSON.stringify(page.items);
    count += page.items.length;
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return { text, count };
}

async function podOn(node: string): Promise<V1Pod> {
  const p = (await multusPods(env)).find((x) => x.spec?.nodeName === node);
  assert.ok(p, `a Multus pod on ${node}`);
  return p;
}

test('no token the cluster minted during the suite appears in the output, a summary or an Event', async (t) => {
  // One rotation of our own: an expired token on a node, acted on, so that this test has a before and an after token,
  // a summary that names both by fingerprint, and Events — even when it runs alone.
  const node = env.nodes[0] ?? '';
  restoreNodeFileAfter(t, env, node);
  const ns = await withNamespace(t, env);
  const expired = await boundToken(env, await podOn(node), -300);
  writeNodeFile(t, env.root, node, multusKubeconfig(expired));
  const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace',
    ns, '--step-timeout', '20s']);
  assert.ok([0, 3].includes(run.code), `the rotation ran (exit ${run.code}): ${run.stderr}`);
  const rotated = (JSON.parse(run.stdout) as { execution?: { nodes: { node: string; outcome: string }[] } })
    .execution?.nodes.find((n) => n.node === node);
  assert.equal(rotated?.outcome, 'rotated', run.stderr);
  const fresh = /token: "([^"]+)"/.exec(readFileSync(nodeKubeconfigFile(env.root, node), 'utf8'))?.[1];
  assert.ok(fresh, 'the simulator wrote a fresh token');

  // What was minted, and where to look.
  const tokens = readMintedTokens(env.root);
  const output = readRotatorOutput(env.root);
  const summaries = await allPages((cont) =>
    core.listConfigMapForAllNamespaces({
      fieldSelector: `metadata.name=${SUMMARY}`,
      limit: 500,
      _continue: cont,
    })
  );
  const coreEvents = await allPages((cont) => core.listEventForAllNamespaces({ limit: 500, _continue: cont }));
  const events = await allPages((cont) =>
    env.kc.makeApiClient(EventsV1Api)
      .listEventForAllNamespaces({ limit: 500, _continue: cont })
  );
  const rotatorEvents = events.text.split('multus-token-rotator.io/rotator').length - 1;
  console.log(`no-token-leak: ${tokens.length} tokens searched for in ${output.length} bytes of rotator output, ` +
    `${summaries.count} summary ConfigMap(s) and ${coreEvents.count} + ${events.count} Events ` +
    `(${rotatorEvents} from the rotator)`);

  // The test must be able to fail: there is something to search for, and something to search in.
  assert.ok(tokens.includes(expired), 'the token this test minted was recorded (mintToken → minted-tokens)');
  assert.ok(tokens.includes(fresh), 'the token the simulated kubelet wrote was recorded (multus-sim → minted-tokens)');
  assert.ok(tokens.length >= env.nodes.length + 1, `tokens recorded: ${tokens.length}`);
  assert.ok(output.includes(run.stdout) && output.length > 1000,
    'the rotator output was recorded (runRotator → rotator-output.log)');
  assert.ok(summaries.count >= 1, 'at least one summary ConfigMap to search');
  assert.ok(rotatorEvents >= 1, 'at least one Event from the rotator to search');
  // The haystacks are the right ones: they name these tokens, by fingerprint only.
  assert.ok(output.includes(fingerprint(expired)) && output.includes(fingerprint(fresh)),
    'the output names the before and after tokens by fingerprint');
  assert.ok(summaries.text.includes(fingerprint(expired)), 'the summary names the token by fingerprint');

  const places: [string, string][] = [
    ['the rotator output (rotator-output.log)', output],
    [`a ${SUMMARY} ConfigMap`, summaries.text],
    ['an Event (core/v1)', coreEvents.text],
    ['an Event (events.k8s.io/v1)', events.text],
  ];
  const leaks: string[] = [];
  let needles = 0;
  for (const tok of tokens) {
    const parts: [string, string][] = [['token', tok]];
    const sig = tok.split('.')[2];
    if (sig && sig.length >= 16) parts.push(['signature', sig]);
    for (const [what, needle] of parts) {
      if (!needle || needle.length < 16) continue;
      needles++;
      for (const [where, haystack] of places) {
        if (haystack.includes(needle)) leaks.push(`the ${what} of token ${fingerprint(tok)} appears in ${where}`);
      }
    }
  }
  assert.ok(needles >= tokens.length, `searched for ${needles} strings`);
  assert.deepEqual(leaks, [], 'no token, and no token signature, anywhere');
});
