import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteSize, fitSummary, type Shape } from '../../../scripts/report/fit-summary.ts';

/** A rendering whose size follows its shape: 100 bytes per history entry, 1000 per listed node (10 need attention). */
function renderer(nodes: number) {
  const shapes: Shape[] = [];
  const render = (shape: Shape) => {
    shapes.push(shape);
    const listed = Math.min(shape.collapse ? 10 : nodes, shape.limit);
    return { k: 'h'.repeat(100 * shape.history) + 'n'.repeat(1000 * listed) };
  };
  return { shapes, render };
}

test('byteSize counts keys and values in UTF-8 bytes', () => {
  assert.equal(byteSize({ ab: 'é' }), 4);
});

test('a summary that fits is rendered once, whole', () => {
  const { shapes, render } = renderer(5);
  fitSummary({ maxBytes: 10_000, historySizes: [100, 100], longestList: 5, render });
  assert.deepEqual(shapes, [{ history: 2, collapse: false, limit: Number.POSITIVE_INFINITY }]);
});

test('history is trimmed first, down to this run, before any node is hidden', () => {
  const { render } = renderer(5);
  const data = fitSummary({ maxBytes: 5_300, historySizes: Array(20).fill(100), longestList: 5, render });
  assert.equal(data.k?.match(/h/g)?.length, 200, 'two history entries kept');
  assert.equal(data.k?.match(/n/g)?.length, 5000, 'every node listed');
});

test('then the lists collapse to nodes that need attention, then are halved until they fit', () => {
  const collapsed = renderer(50);
  const fits = fitSummary({ maxBytes: 10_200, historySizes: [100, 100], longestList: 50, render: collapsed.render });
  assert.equal(fits.k?.match(/n/g)?.length, 10_000);
  assert.ok(collapsed.shapes.every((s) => s.limit === Number.POSITIVE_INFINITY), 'not truncated');
  const halved = renderer(50);
  const cut = fitSummary({ maxBytes: 5_000, historySizes: [100], longestList: 50, render: halved.render });
  assert.ok(byteSize(cut) <= 5_000);
  assert.equal(halved.shapes.at(-1)?.limit, 3, '50 → 25 → 12 → 6 → 3');
});
