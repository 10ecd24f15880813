// Needs root (a mount namespace), as the local cluster does; `npm test` runs as root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { inMountNamespace } from '../../../local-cluster/agent/mount-ns.ts';

const skip = process.getuid?.() === 0 ? false : 'needs root, as the local cluster does';

test('a process sees its binds at their paths, and no mount point is made on the host', { skip }, (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtr-mount-ns-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'source');
  const scratch = path.join(dir, 'scratch');
  for (const d of [source, scratch]) mkdirSync(d);
  writeFileSync(path.join(source, 'file'), 'from the host\n');
  const probe = `/mtr-mount-ns-probe-${process.pid}`;
  const { command, args } = inMountNamespace(
    [[source, `${probe}/etc/cni/net.d`], [source, '/var/run/secrets/mtr-probe']],
    'sh',
    ['-c', `cat ${probe}/etc/cni/net.d/file /var/run/secrets/mtr-probe/file && echo written > /tmp/x && ls /tmp`],
    { scratch, privateTmp: true },
  );
  const out = execFileSync(command, args, { encoding: 'utf8' });
  assert.equal(out, 'from the host\nfrom the host\nx\n', 'both binds seen, /tmp its own');
  assert.equal(existsSync(probe), false, `${probe} was not created on the host`);
  assert.equal(existsSync('/run/secrets/mtr-probe'), false, 'nor /run/secrets/mtr-probe (through /var/run)');
  assert.equal(existsSync('/tmp/x'), false, "the process's /tmp is not the host's");
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount left on the host');
});
