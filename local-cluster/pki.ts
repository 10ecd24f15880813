// The local cluster's PKI, made with the openssl CLI: one CA, a serving certificate for the API server and for the
// simulated kubelets, client certificates for each component, and the service-account signing key pair.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  kubeletServingCert: string;
  kubeletServingKey: string;
  saKey: string;
  saPub: string;
  client(name: ClientName): { cert: string; key: string };
}

export type ClientName = 'admin' | 'controller-manager' | 'scheduler' | 'kwok' | 'kubelet-client';

const CLIENTS: Record<ClientName, string> = {
  admin: '/O=system:masters/CN=mtr-admin',
  'controller-manager': '/CN=system:kube-controller-manager',
  scheduler: '/CN=system:kube-scheduler',
  kwok: '/O=system:masters/CN=mtr-kwok',
  'kubelet-client': '/O=system:masters/CN=kube-apiserver-kubelet-client',
};

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate `name` for `subject`, signed by the CA in `dir` (kept if it exists). */
export function signed(dir: string, name: string, subject: string, ext: string): void {
  if (existsSync(path.join(dir, `${name}.crt`))) return;
  openssl(['genrsa', '-out', `${name}.key`, '2048'], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650',
      '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`],
    dir,
  );
}

/** Creates whatever is missing under `dir` and returns the paths. Idempotent. */
export function ensurePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path.join(dir, 'ca.crt'))) {
    openssl(['genrsa', '-out', 'ca.key', '2048'], dir);
    openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=mtr-local-ca', '-days', '3650', '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out',
      'ca.crt'], dir);
  }
  const serverExt = (sans: string) =>
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`;
  const clientExt =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
  // IP:::1: Multus on the simulated nodes reaches the API server at [::1] (see agent/api-forwarder.ts).
  signed(dir, 'kube-apiserver', '/CN=kube-apiserver', serverExt(
    'DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,' +
      'DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:::1,IP:10.96.0.1',
  ));
  signed(dir, 'kubelet-serving', '/CN=kwok-kubelet', serverExt('DNS:localhost,IP:127.0.0.1'));
  for (const [name, subject] of Object.entries(CLIENTS)) signed(dir, name, subject, clientExt);
  if (!existsSync(path.join(dir, 'sa.key'))) {
    openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
    openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  }
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCert: p('kube-apiserver.crt'),
    apiserverKey: p('kube-apiserver.key'),
    kubeletServingCert: p('kubelet-serving.crt'),
    kubeletServingKey: p('kubelet-serving.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    client: (name) => ({ cert: p(`${name}.crt`), key: p(`${name}.key`) }),
  };
}
