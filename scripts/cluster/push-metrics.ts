// Push the run's metrics to a Prometheus Pushgateway: one PUT that replaces every metric of the job's group, so that
// series of an earlier run do not linger. Errors name the URL and the status. A URL with user:password in it is
// refused before anything is sent (fetch cannot send it), and the password is never repeated in a message.

/** The text exposition format that renderMetrics writes. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4';

/** At most this much of an error response's body goes into the error message. */
const BODY_LIMIT = 300;

/** The URL with its user and password replaced, or undefined when it has neither (or is not a URL at all). */
function withoutCredentials(target: string): string | undefined {
  if (!URL.canParse(target)) {
    return undefined;
  }
  const u = new URL(target);
  if (u.username === '' && u.password === '') {
    return undefined;
  }
  u.username = 'redacted';
  u.password = '';
  return u.toString();
}

export async function pushMetrics(url: string, job: string, body: string, timeoutMs = 5000): Promise<void> {
  const target = `${url.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(job)}`;
  const redacted = withoutCredentials(target);
  if (redacted !== undefined) {
    throw new Error(`pushing metrics to ${redacted} failed: the URL must not contain a user or password`);
  }
  let res: Response;
  try {
    res = await fetch(target, {
      method: 'PUT',
      headers: { 'content-type': METRICS_CONTENT_TYPE },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const why = error instanceof Error && error.name === 'TimeoutError'
      ? `no answer within ${timeoutMs} ms`
      : error instanceof Error
      ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`
      : String(error);
    throw new Error(`pushing metrics to ${target} failed: ${why}`, { cause: error });
  }
  // Read the body either way: it frees the connection, and a Pushgateway says in it what was wrong.
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const detail = text.trim().slice(0, BODY_LIMIT);
    throw new Error(
      `pushing metrics to ${target} failed: HTTP ${res.status}${res.statusText === '' ? '' : ` ${res.statusText}`}${
        detail === '' ? '' : `: ${detail}`
      }`,
    );
  }
}
