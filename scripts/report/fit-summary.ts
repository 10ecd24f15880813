// Fitting the summary into a ConfigMap (1 MiB, keys included): render everything, and only when that is too big,
// give up detail in a fixed order — old history first, then nodes that need no attention, then every list halved —
// so that this run's outcome and the nodes that need a person are the last to go.

/** What a rendering keeps. */
export interface Shape {
  /** How many history entries to keep (≥ 1: this run). */
  history: number;
  /** List only nodes that need attention; count the rest. */
  collapse: boolean;
  /** At most this many entries in each per-node list and in each step's pods. */
  limit: number;
}

export interface FitInput {
  maxBytes: number;
  /** The UTF-8 size of each history entry, newest (this run) first. */
  historySizes: readonly number[];
  /** The longest list that `limit` can truncate. */
  longestList: number;
  render: (shape: Shape) => Record<string, string>;
}

/** Total size of keys and values, in UTF-8 bytes, as the API server counts it. */
export function byteSize(data: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const [k, v] of Object.entries(data)) {
    n += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  }
  return n;
}

/** The first rendering, in the order above, that fits in `maxBytes` (or the smallest one, if none does). */
export function fitSummary({ maxBytes, historySizes, longestList, render }: FitInput): Record<string, string> {
  // 1. Everything.
  let shape: Shape = { history: historySizes.length, collapse: false, limit: Number.POSITIVE_INFINITY };
  let data = render(shape);
  if (byteSize(data) <= maxBytes) {
    return data;
  }
  // 2. Trim history, oldest first, down to this run alone. Entry sizes are additive in a YAML sequence, so start
  //    from an estimate and step down from there.
  let excess = byteSize(data) - maxBytes;
  let keep = historySizes.length;
  while (keep > 1 && excess > 0) {
    keep -= 1;
    excess -= historySizes[keep] ?? 0;
  }
  for (;;) {
    shape = { ...shape, history: keep };
    data = render(shape);
    if (byteSize(data) <= maxBytes || keep <= 1) {
      break;
    }
    keep -= 1;
  }
  if (byteSize(data) <= maxBytes) {
    return data;
  }
  // 3. Collapse the per-node lists: keep the nodes that need attention, count the rest.
  shape = { ...shape, collapse: true };
  data = render(shape);
  // 4. Still too big (thousands of nodes needing attention): halve every list until it fits.
  let limit = longestList;
  while (byteSize(data) > maxBytes && limit > 0) {
    limit = Math.floor(limit / 2);
    shape = { ...shape, limit };
    data = render(shape);
  }
  return data;
}
