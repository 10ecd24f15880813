import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeError, isConflict, isForbidden, isNetworkError, isNotFound, isSeveralBudgets, isTooManyRequests,
  isTransient, orUndefinedOn404, retryAfterSeconds, statusCode,
  statusMessage } from '../../../scripts/cluster/api-errors.ts';

/** The shape client-node 2.x throws: a numeric code, lower-case headers, the body as raw text. */
function apiException(code: number, body: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: ${body}\nHeaders: {}`), {
    code,
    body,
    headers,
  });
}

const status = (message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message });

test('statusCode reads an HTTP status, and nothing from a network error whose code is a string', () => {
  assert.equal(statusCode(apiException(404, status('pods "x" not found'))), 404);
  assert.equal(statusCode({ code: 'ECONNRESET' }), undefined);
  assert.equal(statusCode(undefined), undefined);
  assert.equal(statusCode('text'), undefined);
});

test('each status question answers only for its own code', () => {
  const codes = [403, 404, 409, 429, 500];
  const ask = { isForbidden, isNotFound, isConflict, isTooManyRequests };
  const own: Record<keyof typeof ask, number> = { isForbidden: 403, isNotFound: 404, isConflict: 409,
    isTooManyRequests: 429 };
  for (const [name, fn] of Object.entries(ask) as [keyof typeof ask, (e: unknown) => boolean][]) {
    for (const code of codes) assert.equal(fn(apiException(code, '')), code === own[name], `${name}(${code})`);
  }
});

test('retryAfterSeconds reads seconds or an HTTP date from the lower-case header; none without one', () => {
  assert.equal(retryAfterSeconds(apiException(429, '', { 'retry-after': '7' })), 7);
  const inTen = new Date(Date.now() + 10_000).toUTCString();
  const fromDate = retryAfterSeconds(apiException(429, '', { 'retry-after': inTen }));
  assert.ok(fromDate !== undefined && fromDate >= 8 && fromDate <= 11, String(fromDate));
  assert.equal(retryAfterSeconds(apiException(429, '')), undefined);
  assert.equal(retryAfterSeconds(apiException(429, '', { 'retry-after': 'soon' })), undefined);
});

test('statusMessage takes the message of a Status body; a body that is not JSON gives none', () => {
  assert.equal(statusMessage(apiException(409, status('the object has been modified'))),
    'the object has been modified');
  assert.equal(statusMessage(apiException(502, '<html>bad gateway</html>')), undefined);
});

test('describeError is one line and never the raw body', () => {
  assert.equal(describeError(apiException(403, status('pods is forbidden: User "x" cannot list'))),
    'pods is forbidden: User "x" cannot list');
  const html = describeError(apiException(502, '<html>\n<body>secret-looking upstream page</body>\n</html>'));
  assert.equal(html, 'HTTP 502');
  assert.equal(describeError(new Error('connect ECONNREFUSED 127.0.0.1:6443\n    at x')),
    'connect ECONNREFUSED 127.0.0.1:6443 at x');
  assert.equal(describeError('plain'), 'plain');
  assert.ok(describeError(new Error('x'.repeat(1000))).length <= 300);
});

test('isTransient: network failures, 5xx and 429 are transient; 4xx, the several-budgets 500 and ENOTFOUND are not', () => {
  const cases: [unknown, boolean][] = [
    [Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), true],
    [Object.assign(new Error('request to https://x failed, reason: socket hang up'), {}), true],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, true],
    [apiException(503, status('unavailable')), true],
    [apiException(500, status('etcdserver: leader changed')), true],
    [
      apiException(500,
        status('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.')),
      false,
    ],
    [apiException(429, ''), true],
    [apiException(404, ''), false],
    [apiException(403, ''), false],
    [apiException(409, ''), false],
    [
      Object.assign(new Error('fetch failed'), {
        cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND api.typo' },
      }),
      false,
    ],
    [new Error('something else'), false],
    [undefined, false],
  ];
  for (const [err, want] of cases) assert.equal(isTransient(err), want, String((err as Error)?.message ?? err));
  assert.equal(isTransient('exec into x failed: connect ECONNREFUSED 127.0.0.1:16443'), true);
  assert.equal(isTransient('exec into x failed: command terminated with exit code 1'), false);
});

test('isNetworkError includes an unresolvable host (the API server cannot be reached), unlike isTransient', () => {
  const typo = Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } });
  assert.equal(isNetworkError(typo), true);
  assert.equal(isNetworkError(apiException(503, '')), false);
  assert.equal(isNetworkError('Unexpected server response: 503'), true);
});

test('isSeveralBudgets is the Eviction API 500 for a pod under two budgets only', () => {
  const msg = status(
    'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
  );
  assert.equal(isSeveralBudgets(apiException(500, msg)), true);
  assert.equal(isSeveralBudgets(apiException(500, status('internal error'))), false);
  assert.equal(isSeveralBudgets(apiException(429, msg)), false);
});

test('orUndefinedOn404: a read answered 404 is undefined; its object, or any other error, passes through', async () => {
  assert.deepEqual(await orUndefinedOn404(Promise.resolve({ data: {} })), { data: {} });
  assert.equal(await orUndefinedOn404(Promise.reject(apiException(404, status('configmaps "s" not found')))),
    undefined);
  const forbidden = apiException(403, status('configmaps "s" is forbidden'));
  await assert.rejects(orUndefinedOn404(Promise.reject(forbidden)), (err) => err === forbidden);
});
