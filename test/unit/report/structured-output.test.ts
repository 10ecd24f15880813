import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderJson, renderYaml } from '../../../scripts/report/structured-output.ts';

describe('renderJson and renderYaml', () => {
  it('sort keys at every level, drop undefined and round-trip', () => {
    const a = { plan: { steps: [], b: 1, a: 2 }, findings: [{ z: 1, node: 'n', skip: undefined }] };
    const b = { findings: [{ node: 'n', z: 1 }], plan: { a: 2, b: 1, steps: [] } };
    assert.equal(renderJson(a), renderJson(b));
    assert.equal(renderYaml(a), renderYaml(b));
    assert.equal(renderJson(a),
      '{\n  "findings": [\n    {\n      "node": "n",\n      "z": 1\n    }\n  ],\n  "plan": {\n    "a": 2,\n    "b": 1,\n    "steps": []\n  }\n}\n');
  });
  it('keeps long reasons on one line in YAML', () => {
    const reason = 'x '.repeat(100).trim();
    assert.equal(renderYaml({ reason }), `reason: ${reason}\n`);
  });
});
