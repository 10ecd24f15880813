// One vocabulary for what the API server, or the network under it, answered. client-node 2.x throws an ApiException
// with `.code` (the HTTP status), `.headers` (lower-case keys) and `.body` as raw text, usually a Status object. Every
// module asks these questions here instead of poking at the error; no message built here ever contains a raw body.

/** A network failure: refused, reset, timed out, unresolvable, or a WebSocket upgrade answered with a 5xx. */
const NETWORK =
  /ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|socket hang up|fetch failed|other side closed|UND_ERR|socket disconnected|Unexpected server response: 5\d\d/i;

const MAX_MESSAGE = 300;

/** The HTTP status of an API error, or undefined for anything else (a network error has a string `code`). */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}

/** A read's object, or undefined when the API server answers 404; any other error is thrown. */
export function orUndefinedOn404<T>(read: Promise<T>): Promise<T | undefined> {
  return read.catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

/** 409: a precondition or resourceVersion did not match, or the object already exists. */
export function isConflict(err: unknown): boolean {
  return statusCode(err) === 409;
}

export function isForbidden(err: unknown): boolean {
  return statusCode(err) === 403;
}

/** 429: a PodDisruptionBudget blocks an eviction, or API Priority and Fairness asks us to slow down. */
export function isTooManyRequests(err: unknown): boolean {
  return statusCode(err) === 429;
}

/** The Retry-After header of an answer, in seconds (a number of seconds or an HTTP date); undefined without one. */
export function retryAfterSeconds(err: unknown): number | undefined {
  const headers = (err as { headers?: unknown } | null | undefined)?.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  const value = (headers as Record<string, unknown>)['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The `message` of the Status object in an API error's body, if the body is one. */
export function statusMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null | undefined)?.body;
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (status as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message.trim() !== '' ? message : undefined;
}

/** The text in which a network failure shows: the error's code and message, and its cause's. */
function networkText(err: unknown): string {
  if (typeof err === 'string') return err;
  if (!err || typeof err !== 'object') return '';
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  return [e.code, e.message, e.cause?.code, e.cause?.message].filter((x) => x !== undefined).join(' ');
}

/** OpenSSL's and Node's codes for a server certificate that does not verify (unknown CA, self-signed, expired, wrong name). */
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT/;

/**
 * The code (and message) of a TLS certificate check that failed, found on the error or its causes (fetch wraps it:
 * "fetch failed", cause DEPTH_ZERO_SELF_SIGNED_CERT …); undefined for anything else. Not transient: waiting does not
 * make a kubeconfig's certificate authority match the server.
 */
export function certificateFailure(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5;
    e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && CERTIFICATE.test(e.code)) {
      const message = typeof e.message === 'string' ? e.message.replace(/;.*$/s, '') : '';
      return message ? `${e.code}: ${message}` : e.code;
    }
  }
  return undefined;
}

/** Whether an error, or an error's text (e.g. an exec failure's reason), names a network failure. */
export function isNetworkError(err: unknown): boolean {
  return NETWORK.test(networkText(err));
}

/** A 500 from the Eviction API for a pod matched by more than one budget: retrying cannot help, a person must. */
export function isSeveralBudgets(err: unknown): boolean {
  return statusCode(err) === 500 && /more than one PodDisruptionBudget/i.test(statusMessage(err) ?? '');
}

/**
 * Whether `err` is worth another try: a network failure, a server error, or the API server asking us to slow down.
 * A host name that does not resolve (ENOTFOUND) is a network error but not transient: waiting does not fix a typo.
 */
export function isTransient(err: unknown): boolean {
  const code = statusCode(err);
  if (code !== undefined) return (code === 429 || code >= 500) && !isSeveralBudgets(err);
  const text = networkText(err);
  return NETWORK.test(text) && !text.includes('ENOTFOUND') && certificateFailure(err) === undefined;
}

/**
 * One line for a person: the Status message of an API error, "HTTP <code>" when it has none, otherwise the error's
 * own message. Never the raw body; newlines folded, at most 300 characters.
 */
export function describeError(err: unknown): string {
  const code = statusCode(err);
  let text = statusMessage(err);
  if (text === undefined && code !== undefined) text = `HTTP ${code}`;
  if (text === undefined) {
    const message = (err as { message?: unknown } | null | undefined)?.message;
    text = typeof message === 'string' && message !== '' ? message : String(err);
  }
  const line = text.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}
