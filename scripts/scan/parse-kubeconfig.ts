// Read the token out of the kubeconfig that the Multus thin plugin writes on each node. The file comes from a node
// and is treated as hostile: size, encoding, YAML bombs and tags are checked before anything is looked up in it.
// Reasons never include the token or any part of it.
import { LineCounter, parseDocument } from 'yaml';

/** How a kubeconfig user authenticates when it holds no literal token. */
export type ExternalCredential = 'tokenFile' | 'client-certificate' | 'exec' | 'auth-provider';

export type KubeconfigParseResult =
  | { ok: true; token: string; server?: string; user?: string; context?: string }
  // `external`: well formed, but the user authenticates by other means than a literal token; nothing to judge here
  | { ok: false; reason: string; external?: ExternalCredential };

/** Keep small: a real Multus kubeconfig has no aliases at all. */
const MAX_ALIASES = 50;

type Fail = { ok: false; reason: string; external?: ExternalCredential };
const fail = (reason: string): Fail => ({ ok: false, reason });
const external = (kind: ExternalCredential, reason: string): Fail => ({ ok: false, reason, external: kind });

/** Show a name from the file without echoing anything that could be a credential. */
function quote(name: string): string {
  if (/eyJ[A-Za-z0-9_-]{4,}/.test(name) || /[A-Za-z0-9_-]{40,}/.test(name)) {
    return `(a ${name.length}-character name that looks like a credential)`;
  }
  const shown = name.length > 63 ? `${name.slice(0, 60)}…` : name;
  return JSON.stringify(shown);
}

/** Redact from a YAML library message anything that could be (part of) a token. */
function redact(message: string): string {
  return message.replace(/[A-Za-z0-9_\-.+/=]{24,}/g, '…');
}

function typeName(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Named {
  name: string;
  body: Record<string, unknown>;
}

/** The entries of a kubeconfig list (`clusters`, `users`, `contexts`): `{ name, <inner>: {...} }`. */
function namedList(root: Record<string, unknown>, list: string, inner: string): Named[] | Fail {
  const value = root[list];
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    return fail(`the kubeconfig's "${list}" is ${typeName(value)}, not a list`);
  }
  const out: Named[] = [];
  for (const [i, entry] of value.entries()) {
    if (!isRecord(entry) || typeof entry['name'] !== 'string') {
      return fail(`entry ${i + 1} of the kubeconfig's "${list}" has no name`);
    }
    const body = entry[inner];
    if (!isRecord(body)) {
      return fail(
        `the ${list.slice(0, -1)} ${quote(entry['name'])} in the kubeconfig has no "${inner}" mapping (found ${
          typeName(body ?? null)
        })`,
      );
    }
    out.push({ name: entry['name'], body });
  }
  return out;
}

export function parseMultusKubeconfig(bytes: Uint8Array, opts: { maxBytes: number }): KubeconfigParseResult {
  if (bytes.length === 0) {
    return fail('the kubeconfig file is empty');
  }
  if (bytes.length > opts.maxBytes) {
    return fail(
      `the kubeconfig file is ${bytes.length} bytes, larger than the limit of ${opts.maxBytes} bytes (--max-file-size)`,
    );
  }
  if (bytes.includes(0)) {
    return fail('the kubeconfig file contains NUL bytes: it is binary, not YAML');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('the kubeconfig file is not valid UTF-8 text');
  }
  const control = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    return fail(`the kubeconfig file contains the control character 0x${code}: it is binary, not YAML`);
  }
  if (text.trim() === '') {
    return fail('the kubeconfig file contains only white space');
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, {
    strict: true,
    uniqueKeys: true,
    prettyErrors: false,
    schema: 'core',
    resolveKnownTags: false,
    lineCounter: lines,
  });
  const where = (pos: readonly [number, number]): string => {
    const { line, col } = lines.linePos(pos[0]);
    return `line ${line}, column ${col}`;
  };
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    return fail(`the kubeconfig file is not valid YAML: ${redact(firstError.message)} at ${where(firstError.pos)}`);
  }
  for (const warning of doc.warnings) {
    if (warning.code === 'TAG_RESOLVE_FAILED') {
      const tag = redact(warning.message.replace(/^Unresolved tag: /, ''));
      return fail(
        `the kubeconfig file uses the YAML tag ${tag} at ${where(warning.pos)}, which a kubeconfig never has`,
      );
    }
  }
  const firstWarning = doc.warnings[0];
  if (firstWarning !== undefined) {
    return fail(
      `the kubeconfig file has a YAML problem: ${redact(firstWarning.message)} at ${where(firstWarning.pos)}`,
    );
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return fail(`the kubeconfig file expands YAML aliases more than ${MAX_ALIASES} times (an alias bomb)`);
    }
    return fail(
      `the kubeconfig file could not be read as YAML: ${
        redact(error instanceof Error ? error.message : String(error))
      }`,
    );
  }
  if (!isRecord(root)) {
    return fail(`the kubeconfig file holds ${typeName(root)}, not a kubeconfig mapping`);
  }

  const contexts = namedList(root, 'contexts', 'context');
  if (!Array.isArray(contexts)) return contexts;
  const users = namedList(root, 'users', 'user');
  if (!Array.isArray(users)) return users;
  const clusters = namedList(root, 'clusters', 'cluster');
  if (!Array.isArray(clusters)) return clusters;
  if (contexts.length === 0) {
    return fail('the kubeconfig has no contexts');
  }
  if (users.length === 0) {
    return fail('the kubeconfig has no users');
  }

  // which context
  const current = root['current-context'];
  let context: Named | undefined;
  if (current === undefined || current === null || current === '') {
    if (contexts.length > 1) {
      return fail(
        `the kubeconfig has ${contexts.length} contexts (${
          contexts.map((c) => quote(c.name)).join(', ')
        }) and no current-context, so the one Multus uses is unknown`,
      );
    }
    context = contexts[0];
  } else if (typeof current !== 'string') {
    return fail(`the kubeconfig's current-context is ${typeName(current)}, not a context name`);
  } else {
    context = contexts.find((c) => c.name === current);
    if (context === undefined) {
      return fail(
        `the kubeconfig's current-context ${quote(current)} names no context (it has ${
          contexts.map((c) => quote(c.name)).join(', ')
        })`,
      );
    }
  }
  if (context === undefined) {
    return fail('the kubeconfig has no contexts');
  }

  // which user
  const userName = context.body['user'];
  if (typeof userName !== 'string' || userName === '') {
    return fail(`the kubeconfig's context ${quote(context.name)} names no user`);
  }
  const user = users.find((u) => u.name === userName);
  if (user === undefined) {
    return fail(
      `the kubeconfig's context ${quote(context.name)} uses the user ${
        quote(userName)
      }, which the file does not define`,
    );
  }

  // which token: as client-go does, a tokenFile wins over a literal token (clientcmd keeps both, and the transport
  // sends the file's token on every request, re-read each minute; the literal one only while the file is unreadable)
  const token = user.body['token'];
  const tokenFile = user.body['tokenFile'];
  if (typeof tokenFile === 'string' && tokenFile !== '') {
    const literal = token === undefined || token === null ? ''
      : '; its literal token is not what Multus sends (client-go uses the file while it can read it), so it is not judged';
    return external('tokenFile',
      `the kubeconfig's user ${quote(user.name)} reads its token from the file ${
        quote(tokenFile)
      } (tokenFile) on the node, which this tool cannot follow${literal}`);
  }
  if (token === undefined || token === null) {
    if ('client-certificate-data' in user.body || 'client-certificate' in user.body || 'client-key-data' in user.body) {
      return external('client-certificate',
        `the kubeconfig's user ${quote(user.name)} authenticates with a client certificate, not a token`);
    }
    if ('exec' in user.body || 'auth-provider' in user.body) {
      return external('exec' in user.body ? 'exec' : 'auth-provider',
        `the kubeconfig's user ${
          quote(user.name)
        } gets its credentials from a plugin (exec or auth-provider), not a token`);
    }
    return fail(`the kubeconfig's user ${quote(user.name)} has no token`);
  }
  if (typeof token !== 'string') {
    return fail(`the token of the kubeconfig's user ${quote(user.name)} is ${typeName(token)}, not a string`);
  }
  if (token.trim() === '') {
    return fail(`the token of the kubeconfig's user ${quote(user.name)} is empty`);
  }

  // which server (informational; a missing cluster does not hide the token)
  const clusterName = context.body['cluster'];
  const cluster = typeof clusterName === 'string' ? clusters.find((c) => c.name === clusterName) : undefined;
  const server = cluster?.body['server'];

  const result: KubeconfigParseResult = { ok: true, token, user: user.name, context: context.name };
  if (typeof server === 'string' && server !== '') {
    result.server = server;
  }
  return result;
}
