// The writer's requests as the API server receives them (a local HTTP server): an eviction carries the UID of the
// pod that was judged as a precondition, so that a newer pod of the same name is never evicted; a 409 says so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeClusterWriter } from '../../../scripts/cluster/cluster-writer.ts';

describe('kubeClusterWriter.evict', () => {
  let server: http.Server;
  let kc: KubeConfig;
  const bodies: { url: string; body: unknown }[] = [];
  let answer: { code: number; body: unknown } = { code: 201, body: { kind: 'Status', status: 'Success' } };

  before(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', body: JSON.parse(text || '{}') });
        res.writeHead(answer.code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-a-real-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  after(() => server.close());

  it('sends the UID precondition in the eviction body (and dryRun there too on a server dry run)', async () => {
    const writer = kubeClusterWriter(kc, 'test');
    assert.deepEqual(await writer.evict('demo', 'db-0', 'uid-judged', false), { kind: 'accepted' });
    assert.deepEqual(await writer.evict('demo', 'db-0', 'uid-judged', true), { kind: 'accepted' });
    const [real, dry] = bodies.splice(0);
    assert.match(real?.url ?? '', /\/api\/v1\/namespaces\/demo\/pods\/db-0\/eviction$/);
    assert.deepEqual((real?.body as { deleteOptions?: unknown }).deleteOptions, {
      preconditions: { uid: 'uid-judged' },
    });
    assert.deepEqual((dry?.body as { deleteOptions?: unknown }).deleteOptions, { preconditions: { uid: 'uid-judged' },
      dryRun: ['All'] });
  });

  it('a 409 (the UID in the precondition does not match) answers "replaced", without a retry', async () => {
    answer = { code: 409,
      body: { kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409,
        message: 'Precondition failed: UID in precondition: uid-judged, UID in object meta: uid-newer' } };
    const writer = kubeClusterWriter(kc, 'test');
    const got = await writer.evict('demo', 'db-0', 'uid-judged', false);
    assert.equal(got.kind, 'replaced');
    assert.equal(bodies.splice(0).length, 1);
  });
});
