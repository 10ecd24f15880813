// The no-token-leak search: every token recorded in the cluster's minted-tokens (local-cluster/seed/token-log.ts) is
// looked for — whole, and its signature alone — in everything the rotator printed (rotator-output.log), in every
// summary ConfigMap in every namespace and in every Event in every namespace. Used twice: by
// reliability/no-token-leak.test.ts on what exists when it runs, and by global-setup.ts's teardown on everything the
// whole suite minted and printed, after the last file, whatever their order.
import { createHash } from 'node:crypto';
import { CoreV1Api, EventsV1Api } from '@kubernetes/client-node';
import type { ClusterEnv } from '../../../local-cluster/seed/cluster-env.ts';
import { readMintedTokens, readRotatorOutput } from '../../../local-cluster/seed/token-log.ts';

export const SUMMARY = 'multus-token-rotator-summary';

export const fingerprint = (tok: string): string => createHash('sha256').update(tok, 'utf8').digest('hex').slice(0, 12);

export interface LeakSearch {
  tokens: string[];
  output: string;
  summaries: { text: string; count: number };
  coreEvents: { text: string; count: number };
  events: { text: string; count: number };
  /** Events whose reporting controller is the rotator. */
  rotatorEvents: number;
  /** Strings looked for: every token, and every signature of 16 characters or more. */
  needles: number;
  /** One line per token (or signature) found, naming it by fingerprint and where it was found. */
  leaks: string[];
}

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

export async function searchForTokens(env: ClusterEnv): Promise<LeakSearch> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const tokens = readMintedTokens(env.root);
  const output = readRotatorOutput(env.root);
  const summaries = await allPages((cont) =>
    core.listConfigMapForAllNamespaces({ fieldSelector: `metadata.name=${SUMMARY}`, limit: 500, _continue: cont })
  );
  const coreEvents = await allPages((cont) => core.listEventForAllNamespaces({ limit: 500, _continue: cont }));
  const events = await allPages((cont) =>
    env.kc.makeApiClient(EventsV1Api).listEventForAllNamespaces({ limit: 500, _continue: cont })
  );
  const rotatorEvents = events.text.split('multus-token-rotator.io/rotator').length - 1;
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
      if (needle.length < 16) continue;
      needles++;
      for (const [where, haystack] of places) {
        if (!haystack.includes(needle)) continue;
        leaks.push(`${what === 'token' ? 'token' : 'the signature of token'} ${fingerprint(tok)} appears in ${where}`);
      }
    }
  }
  return { tokens, output, summaries, coreEvents, events, rotatorEvents, needles, leaks };
}

/** The one line both users print. */
export function describeSearch(s: LeakSearch): string {
  return `${s.tokens.length} tokens searched for in ${s.output.length} bytes of rotator output, ` +
    `${s.summaries.count} summary ConfigMap(s) and ${s.coreEvents.count} + ${s.events.count} Events ` +
    `(${s.rotatorEvents} from the rotator)`;
}
