// The kubeconfig the Multus 3.x entrypoint writes (images/entrypoint.sh): cluster `local` with a bracketed server,
// CA data (or, if none, insecure-skip-tls-verify), user `multus` with `token:`, context `multus-context`.
export function multusKubeconfigText(opts: { token: string; server: string; caData?: string }): string {
  const tls = opts.caData ? `certificate-authority-data: ${opts.caData}` : 'insecure-skip-tls-verify: true';
  return `# Kubeconfig file for Multus CNI plugin.
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${opts.server}
    ${tls}
users:
- name: multus
  user:
    token: "${opts.token}"
contexts:
- name: multus-context
  context:
    cluster: local
    user: multus
current-context: multus-context
`;
}
