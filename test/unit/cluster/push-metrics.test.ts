import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, pushMetrics } from '../../../scripts/cluster/push-metrics.ts';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

describe('pushMetrics', () => {
  let server: Server;
  let base = '';
  let seen: Seen[] = [];
  /** What the server does with the next request, after recording it. */
  let answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end();

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8') });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err === undefined ? resolve() : reject(err))));
  });
  beforeEach(() => {
    seen = [];
    answer = (res) => res.writeHead(200).end();
  });

  const body = '# TYPE multus_token_rotator_last_run_exit_code gauge\nmultus_token_rotator_last_run_exit_code 0\n';

  it('PUTs the body as text format 0.0.4 to /metrics/job/<job>', async () => {
    await pushMetrics(base, 'multus-token-rotator', body);
    assert.deepEqual(seen, [{ method: 'PUT', url: '/metrics/job/multus-token-rotator',
      contentType: METRICS_CONTENT_TYPE, body }]);
    assert.equal(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4');
  });
  it('encodes the job name and tolerates a trailing slash on the URL', async () => {
    await pushMetrics(`${base}/`, 'rotator/a b', body);
    assert.equal(seen[0]?.url, '/metrics/job/rotator%2Fa%20b');
  });
  it('accepts 202 Accepted', async () => {
    answer = (res) => res.writeHead(202).end();
    await pushMetrics(base, 'j', body);
    assert.equal(seen.length, 1);
  });
  it('names the URL, the status and what the server said on an error status', async () => {
    answer = (res) =>
      res.writeHead(400, { 'content-type': 'text/plain' }).end(
        'pushed metrics are invalid or inconsistent with existing metrics\n',
      );
    await assert.rejects(pushMetrics(base, 'j', body), (err: Error) => {
      assert.equal(
        err.message,
        `pushing metrics to ${base}/metrics/job/j failed: HTTP 400 Bad Request: pushed metrics are invalid or inconsistent with existing metrics`,
      );
      return true;
    });
  });
  it('gives up after the timeout and says so', async () => {
    answer = () => undefined; // never answers
    const started = Date.now();
    await assert.rejects(pushMetrics(base, 'j', body, 200), (err: Error) => {
      assert.equal(err.message, `pushing metrics to ${base}/metrics/job/j failed: no answer within 200 ms`);
      return true;
    });
    assert.ok(Date.now() - started < 3_000);
  });
  it('names the URL when nothing listens there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(pushMetrics(url, 'j', body), (err: Error) => {
      assert.ok(err.message.startsWith(`pushing metrics to ${url}/metrics/job/j failed: `), err.message);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });
  it('refuses a URL with a password before sending anything, without repeating the password', async () => {
    const withPassword = base.replace('http://', 'http://user:s3cret@');
    await assert.rejects(pushMetrics(withPassword, 'j', body), (err: Error) => {
      assert.doesNotMatch(err.message, /s3cret/);
      assert.match(err.message,
        /127\.0\.0\.1:\d+\/metrics\/job\/j failed: the URL must not contain a user or password$/);
      return true;
    });
    assert.deepEqual(seen, []);
  });
});
