import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMultusKubeconfig } from '../../../scripts/scan/parse-kubeconfig.ts';

// A token-shaped secret: every reason is checked not to contain it or any long part of it.
const TOKEN =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2V5In0.eyJpc3MiOiJodHRwczovL2t1YmVybmV0ZXMuZGVmYXVsdC5zdmMiLCJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06bXVsdHVzIn0.c2lnbmF0dXJlLW5vdC1yZWFsLWJ1dC1sb25nLWVub3VnaC10by1sb29rLWxpa2Ugb25l';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n').toString('base64');

/** Exactly what the Multus 3.x entrypoint writes. */
function multus3x(token: string = TOKEN): string {
  return `# Kubeconfig file for Multus CNI plugin.
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://[10.96.0.1]:443
    certificate-authority-data: ${CA}
users:
- name: multus
  user:
    token: "${token}"
contexts:
- name: multus-context
  context:
    cluster: local
    user: multus
current-context: multus-context
`;
}

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const LIMIT = { maxBytes: 64 * 1024 };

function assertNoSecret(reason: string): void {
  assert.ok(!reason.includes(TOKEN), 'the reason contains the token');
  for (const part of TOKEN.split('.')) {
    for (let i = 0; i + 12 <= part.length; i += 6) {
      assert.ok(!reason.includes(part.slice(i, i + 12)), `the reason contains part of the token: ${reason}`);
    }
  }
}

test('the Multus 3.x kubeconfig yields its token, server, user and context', () => {
  assert.deepEqual(parseMultusKubeconfig(enc(multus3x()), LIMIT), {
    ok: true,
    token: TOKEN,
    server: 'https://[10.96.0.1]:443',
    user: 'multus',
    context: 'multus-context',
  });
});

test('variants that are still fine', () => {
  const insecure = multus3x().replace(/certificate-authority-data: .*/, 'insecure-skip-tls-verify: true');
  assert.equal(parseMultusKubeconfig(enc(insecure), LIMIT).ok, true);
  const noCurrentOneContext = multus3x().replace('current-context: multus-context\n', '');
  const r = parseMultusKubeconfig(enc(noCurrentOneContext), LIMIT);
  assert.ok(r.ok);
  assert.equal(r.context, 'multus-context');
  const unquoted = multus3x().replace(`"${TOKEN}"`, TOKEN);
  assert.equal(parseMultusKubeconfig(enc(unquoted), LIMIT).ok, true);
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc(multus3x())]);
  assert.equal(parseMultusKubeconfig(bom, LIMIT).ok, true, 'a UTF-8 byte-order mark is accepted');
  const noCluster = multus3x().replace('    cluster: local\n', '');
  const r2 = parseMultusKubeconfig(enc(noCluster), LIMIT);
  assert.ok(r2.ok);
  assert.equal(r2.server, undefined, 'no cluster: no server, but still a token');
  const crlf = multus3x().replaceAll('\n', '\r\n');
  assert.equal(parseMultusKubeconfig(enc(crlf), LIMIT).ok, true, 'Windows line ends');
});

test('malformed kubeconfigs are refused with a reason that never shows the token', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
  ].join('\n');
  const twoContexts = multus3x()
    .replace('current-context: multus-context\n', '')
    .replace('contexts:\n', 'contexts:\n- name: other\n  context:\n    cluster: local\n    user: multus\n');
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(), /is empty/],
    ['only white space', enc('  \n\n'), /only white space/],
    ['too large', enc(multus3x()), /\d+ bytes, larger than the limit of 100 bytes/],
    ['not UTF-8', new Uint8Array([...enc('users: '), 0xff, 0xfe, 0x41]), /not valid UTF-8/],
    ['NUL bytes', new Uint8Array([...enc(multus3x()), 0, 0, 0]), /NUL bytes/],
    ['control characters', enc(`apiVersion: v1\nkind: \u0007Config\n`), /control character 0x07/],
    ['YAML syntax error', enc(multus3x().replace('users:', 'users: [')), /not valid YAML: .* at line \d+, column \d+/],
    ['unterminated quote', enc(multus3x().replace(`"${TOKEN}"`, `'${TOKEN}"`)), /not valid YAML/],
    ['duplicate keys', enc(`${multus3x()}current-context: other\n`), /not valid YAML: Map keys must be unique/],
    ['two documents', enc(`${multus3x()}---\n${multus3x()}`), /multiple documents/],
    ['alias bomb', enc(bomb), /more than 50 times \(an alias bomb\)/],
    ['custom tag', enc(multus3x().replace(`token: "${TOKEN}"`, `token: !vault "${TOKEN}"`)),
      /the YAML tag !vault at line 12, column \d+/],
    ['binary tag', enc(multus3x().replace(`token: "${TOKEN}"`, 'token: !!binary aGVsbG8=')),
      /YAML tag tag:yaml.org,2002:binary/],
    ['a list', enc('- a\n- b\n'), /holds a list, not a kubeconfig mapping/],
    ['a scalar', enc('hello\n'), /holds a string, not a kubeconfig mapping/],
    ['null document', enc('# nothing but a comment\n'), /holds empty, not a kubeconfig mapping/],
    ['no contexts', enc(multus3x().replace(/contexts:\n(.*\n){4}/, '')), /no contexts/],
    ['contexts not a list', enc(multus3x().replace(/contexts:\n(.*\n){4}/, 'contexts: {}\n')),
      /"contexts" is a mapping, not a list/],
    ['no users', enc(multus3x().replace(/users:\n(.*\n){3}/, 'users: []\n')), /no users/],
    ['current-context names nothing',
      enc(multus3x().replace('current-context: multus-context', 'current-context: gone')),
      /current-context "gone" names no context \(it has "multus-context"\)/],
    ['current-context not a string', enc(multus3x().replace('current-context: multus-context', 'current-context: [a]')),
      /current-context is a list/],
    ['two contexts, none current', enc(twoContexts), /2 contexts \("other", "multus-context"\) and no current-context/],
    ['context without user', enc(multus3x().replace('    user: multus\n', '')),
      /context "multus-context" names no user/],
    ['user not defined', enc(multus3x().replace('- name: multus\n  user:', '- name: someone\n  user:')),
      /uses the user "multus", which the file does not define/],
    ['entry without name', enc(multus3x().replace('- name: multus\n', '- user2: x\n')),
      /entry 1 of the kubeconfig's "users" has no name/],
    ['user without body', enc(multus3x().replace(/  user:\n    token: .*\n/, '')),
      /user "multus" in the kubeconfig has no "user" mapping/],
    ['tokenFile',
      enc(multus3x().replace(`token: "${TOKEN}"`, 'tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token')),
      /reads its token from the file "\/var\/run\/secrets\/kubernetes.io\/serviceaccount\/token" \(tokenFile\).*cannot follow/],
    ['client certificate',
      enc(multus3x().replace(`token: "${TOKEN}"`, 'client-certificate-data: AAAA\n    client-key-data: BBBB')),
      /client certificate, not a token/],
    ['exec plugin', enc(multus3x().replace(`token: "${TOKEN}"`, 'exec:\n      command: get-token')),
      /plugin \(exec or auth-provider\)/],
    ['no token at all', enc(multus3x().replace(`token: "${TOKEN}"`, 'username: admin')), /user "multus" has no token/],
    ['token is a number', enc(multus3x().replace(`"${TOKEN}"`, '12345')),
      /token of the kubeconfig's user "multus" is a number, not a string/],
    ['token is a mapping', enc(multus3x().replace(`"${TOKEN}"`, `{value: "${TOKEN}"}`)), /is a mapping, not a string/],
    ['token is empty', enc(multus3x().replace(`"${TOKEN}"`, '""')), /token of the kubeconfig's user "multus" is empty/],
    ['token is null', enc(multus3x().replace(`"${TOKEN}"`, '')), /user "multus" has no token/],
  ];
  for (const [name, bytes, reason] of cases) {
    const r = parseMultusKubeconfig(bytes, name === 'too large' ? { maxBytes: 100 } : LIMIT);
    assert.equal(r.ok, false, name);
    if (!r.ok) {
      assert.match(r.reason, reason, name);
      assertNoSecret(r.reason);
      assert.ok(!r.reason.includes('\n'), `${name}: one sentence, one line`);
    }
  }
});

test('a credential-looking name is not echoed', () => {
  const text = multus3x().replace('current-context: multus-context', `current-context: ${TOKEN}`);
  const r = parseMultusKubeconfig(enc(text), LIMIT);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.reason, /looks like a credential/);
    assertNoSecret(r.reason);
  }
});

test('a YAML error next to the token does not leak it', () => {
  const text = multus3x().replace(`token: "${TOKEN}"`, `token: "${TOKEN}`);
  const r = parseMultusKubeconfig(enc(text), LIMIT);
  assert.equal(r.ok, false);
  if (!r.ok) assertNoSecret(r.reason);
});

test('a user with both token and tokenFile is judged by the file, as client-go does (the literal token is not sent)',
  () => {
    for (const order of ['token-first', 'file-first']) {
      const both = order === 'token-first'
        ? `token: "${TOKEN}"\n    tokenFile: /etc/multus/token`
        : `tokenFile: /etc/multus/token\n    token: "${TOKEN}"`;
      const r = parseMultusKubeconfig(enc(multus3x().replace(`token: "${TOKEN}"`, both)), LIMIT);
      assert.equal(r.ok, false, order);
      if (!r.ok) {
        assert.equal(r.external, 'tokenFile', order);
        assert.match(r.reason, /"\/etc\/multus\/token" \(tokenFile\).*literal token is not what Multus sends/, order);
        assertNoSecret(r.reason);
      }
    }
  });

test('a user without a literal token says how it authenticates instead (external credentials, not malformed)', () => {
  const cases: [string, string, string][] = [
    ['tokenFile', 'tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token', 'tokenFile'],
    ['client certificate', 'client-certificate-data: AAAA\n    client-key-data: BBBB', 'client-certificate'],
    ['client certificate file', 'client-certificate: /etc/multus/tls.crt\n    client-key: /etc/multus/tls.key',
      'client-certificate'],
    ['exec plugin', 'exec:\n      command: get-token', 'exec'],
    ['auth-provider', 'auth-provider:\n      name: oidc', 'auth-provider'],
  ];
  for (const [name, user, kind] of cases) {
    const r = parseMultusKubeconfig(enc(multus3x().replace(`token: "${TOKEN}"`, user)), LIMIT);
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.equal(r.external, kind, name);
  }
  const none = parseMultusKubeconfig(enc(multus3x().replace(`token: "${TOKEN}"`, 'username: admin')), LIMIT);
  assert.equal(none.ok === false ? none.external : 'x', undefined, 'a user with nothing at all is malformed');
});
