import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterPorts, FIXED_SLOTS, MAX_NODE_PORTS, MAX_OFFSET, nodePort, offsetFromEnv,
  portLayout } from '../../../local-cluster/ports.ts';

test('no two offsets in 0..MAX_OFFSET share a port, with every node port in use', () => {
  const owner = new Map<number, string>();
  for (let offset = 0; offset <= MAX_OFFSET; offset++) {
    for (const { name, port } of clusterPorts(portLayout(offset), MAX_NODE_PORTS)) {
      const who = `offset ${offset} ${name}`;
      assert.equal(owner.get(port), undefined, `port ${port}: ${owner.get(port)} and ${who}`);
      owner.set(port, who);
    }
  }
  assert.equal(owner.size, (MAX_OFFSET + 1) * (MAX_NODE_PORTS + 5));
});

test('every port is a listening port below the ephemeral range (32768)', () => {
  for (const offset of [0, MAX_OFFSET]) {
    for (const { port } of clusterPorts(portLayout(offset), MAX_NODE_PORTS)) {
      assert.ok(port >= 1024 && port < 32768, `offset ${offset}: port ${port}`);
    }
  }
});

test('the named ports fit their slots, before the first node port', () => {
  const l = portLayout(3);
  const named = clusterPorts(l, 0).map((p) => p.port);
  assert.ok(named.length <= FIXED_SLOTS);
  assert.ok(Math.max(...named) < nodePort(l, 0));
});

test('offsets used to collide: 0 and 10 (etcd), 0 and 1 with 11 nodes (kwok), 0 and 2 (controllers)', () => {
  const ports = (o: number) => new Set(clusterPorts(portLayout(o), 11).map((p) => p.port));
  for (const [a, b] of [[0, 10], [0, 1], [0, 2]] as const) {
    assert.deepEqual([...ports(a)].filter((p) => ports(b).has(p)), [], `offsets ${a} and ${b}`);
  }
});

test('a node past the block, or an offset out of range, is refused', () => {
  assert.throws(() => nodePort(portLayout(0), MAX_NODE_PORTS), /has no port/);
  assert.throws(() => portLayout(MAX_OFFSET + 1), /outside/);
  assert.throws(() => portLayout(1.5), /outside/);
});

test('MTR_CLUSTER_PORT_OFFSET: unset is 0; a bad value is one line naming it and the fix', () => {
  assert.deepEqual(offsetFromEnv(undefined), { offset: 0 });
  assert.deepEqual(offsetFromEnv('12'), { offset: 12 });
  for (const bad of ['x', '-1', '256', '2.5', '']) {
    const r = offsetFromEnv(bad);
    assert.ok('error' in r, bad);
    assert.match(r.error, new RegExp(`^MTR_CLUSTER_PORT_OFFSET=${bad} is not a port offset; use a whole number`));
  }
});
