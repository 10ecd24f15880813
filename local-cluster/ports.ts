// The local cluster's loopback ports, in one place. Each port offset (MTR_CLUSTER_PORT_OFFSET, for a second cluster
// beside the first) owns one block of BLOCK_SIZE consecutive ports: FIXED_SLOTS for the control plane's named ports,
// then one per node (kwok's, or a real node's). Blocks never overlap, and all of them lie below Linux's ephemeral
// range (32768), so an outgoing connection never holds a port a cluster needs. To add a port: a name in FIXED.
export const FIRST_PORT = 16384;
export const BLOCK_SIZE = 64;
export const FIXED_SLOTS = 8;
export const MAX_OFFSET = 255;
/** Nodes a cluster can have a port for: the rest of the block. */
export const MAX_NODE_PORTS = BLOCK_SIZE - FIXED_SLOTS;

/** The control plane's named ports, one slot each, in this order (at most FIXED_SLOTS). */
const FIXED = ['etcdClient', 'etcdPeer', 'apiserver', 'controllerManager', 'scheduler'] as const;
export type FixedPort = (typeof FIXED)[number];

export type PortLayout = Record<FixedPort, number> & {
  offset: number;
  /** Node i listens on nodeBase + i, for i below MAX_NODE_PORTS. */
  nodeBase: number;
};

export function portLayout(offset: number): PortLayout {
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
    throw new RangeError(`port offset ${offset} is outside 0..${MAX_OFFSET}`);
  }
  const base = FIRST_PORT + offset * BLOCK_SIZE;
  const fixed = Object.fromEntries(FIXED.map((name, slot) => [name, base + slot])) as Record<FixedPort, number>;
  return { ...fixed, offset, nodeBase: base + FIXED_SLOTS };
}

/** The port of node `index` (0-based); throws past the block. */
export function nodePort(layout: PortLayout, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_NODE_PORTS) {
    throw new RangeError(`node ${index} has no port: a cluster has ports for ${MAX_NODE_PORTS} nodes`);
  }
  return layout.nodeBase + index;
}

/** Every port a cluster of `nodes` nodes listens on, named, in layout order. */
export function clusterPorts(layout: PortLayout, nodes: number): { name: string; port: number }[] {
  return [
    ...FIXED.map((name) => ({ name, port: layout[name] })),
    ...Array.from({ length: nodes }, (_, i) => ({ name: `node ${i}`, port: nodePort(layout, i) })),
  ];
}

/** The offset MTR_CLUSTER_PORT_OFFSET asks for, or one line naming the value and the fix. */
export function offsetFromEnv(raw: string | undefined): { offset: number } | { error: string } {
  const offset = Number(raw ?? '0');
  if (raw?.trim() === '' || !Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
    return { error: `MTR_CLUSTER_PORT_OFFSET=${raw} is not a port offset; use a whole number from 0 to ` +
      `${MAX_OFFSET}, e.g. MTR_CLUSTER_PORT_OFFSET=1` };
  }
  return { offset };
}
