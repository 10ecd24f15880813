import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionReport, NodeExecution } from '../../../scripts/model.ts';
import { nextFailedRuns, readFailedRuns, renderFailedRuns } from '../../../scripts/report/failure-streaks.ts';

const node = (name: string, outcome: NodeExecution['outcome']): NodeExecution => ({ node: name, outcome, reason: '',
  pods: [] });
const exec = (nodes: NodeExecution[]): ExecutionReport => ({ mode: 'execute', startedAt: 0, finishedAt: 0, nodes });

describe('failure streaks', () => {
  it('counts runs in a row: a failure adds one, a rotation resets, a node not acted on keeps its count', () => {
    const before = new Map([['a', 2], ['b', 1], ['c', 4]]);
    const next = nextFailedRuns(before,
      exec([node('a', 'failed'), node('b', 'rotated'), node('c', 'not-started'), node('d', 'failed')]), 'execute');
    assert.deepEqual([...next.entries()].sort(), [['a', 3], ['c', 4], ['d', 1]]);
  });
  it('a dry run changes nothing', () => {
    const before = new Map([['a', 2]]);
    assert.deepEqual(nextFailedRuns(before, exec([node('a', 'failed')]), 'server-dry-run'), before);
  });
  it('round-trips through the summary, dropping what is malformed', () => {
    const text = renderFailedRuns(new Map([['b', 1], ['a', 3]]));
    assert.equal(text, 'a: 3\nb: 1\n');
    assert.deepEqual([...readFailedRuns(text)], [['a', 3], ['b', 1]]);
    assert.deepEqual([...readFailedRuns('a: x\nb: -1\nc: 2\n')], [['c', 2]]);
    assert.deepEqual([...readFailedRuns('[1, 2')], []);
    assert.deepEqual([...readFailedRuns(undefined)], []);
  });
});
