import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDnsLabel, isDnsSubdomain } from '../../../scripts/config/dns-names.ts';

test('DNS-1123 labels and subdomains, as apimachinery validates them', () => {
  for (const ok of ['kube-system', 'a', '0', 'a'.repeat(63)]) assert.equal(isDnsLabel(ok), true, ok);
  for (const bad of ['', 'Kube', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64)]) assert.equal(isDnsLabel(bad), false, bad);
  for (const ok of ['example.com', 'a.b-c.d', 'k8s.cni.cncf.io', `${'a'.repeat(63)}.${'b'.repeat(63)}`]) {
    assert.equal(isDnsSubdomain(ok), true, ok);
  }
  const long = Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.') + '.ab'; // 255 characters
  for (const bad of ['', 'Example.com', 'a..b', '.a', 'a.', '-a.b', long]) {
    assert.equal(isDnsSubdomain(bad), false, bad);
  }
});
