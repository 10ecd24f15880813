import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { portProblem } from '../../../local-cluster/port-check.ts';

function listen(host: string): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen({ host, port: 0 }, () => resolve(s));
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

test('a taken port is named in one line with the fix; free ports pass', async (t) => {
  const busy = await listen('127.0.0.1');
  t.after(() => busy.close());
  const port = portOf(busy);
  const line = await portProblem([{ name: 'apiserver', host: '127.0.0.1', port }], 3);
  assert.equal(line, `port 127.0.0.1:${port} (apiserver, port offset 3) is in use; stop what listens there ` +
    `(ss -ltnp 'sport = :${port}') or choose another MTR_CLUSTER_PORT_OFFSET`);
  const free = await listen('127.0.0.1');
  const freePort = portOf(free);
  await new Promise((r) => free.close(r));
  assert.equal(await portProblem([{ name: 'etcdClient', host: '127.0.0.1', port: freePort }], 3), undefined);
});

test('the [::1] relay port is checked on the IPv6 loopback', async (t) => {
  const busy = await listen('::1');
  t.after(() => busy.close());
  const port = portOf(busy);
  const line = await portProblem([{ name: 'the API server relay for Multus', host: '::1', port }], 0);
  assert.match(line ?? '',
    new RegExp(`^port \\[::1\\]:${port} \\(the API server relay for Multus, port offset 0\\) is in use`));
});
