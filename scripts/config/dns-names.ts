// Kubernetes object names (apimachinery validation IsDNS1123Label / IsDNS1123Subdomain): the one copy of the rule,
// for the namespace and name flags (coerce.ts, rules.ts) and the prefix of a label key (label-selector.ts).

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace, a container name: at most 63 lower-case letters, digits and "-", alphanumeric at both ends. */
export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS1123_LABEL.test(text);
}

/** Most object names, a label key's prefix: DNS labels joined by ".", at most 253 characters. */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && DNS1123_SUBDOMAIN.test(text);
}
