#!/usr/bin/env bash
# Builds the real Multus CNI from source through the Go module proxy, for the simulated nodes:
#   multus-v3/multus, multus-v3/entrypoint.sh        (gopkg.in/k8snetworkplumbingwg/multus-cni.v3: the 3.x thin plugin,
#   multus-v3/multus-daemon, generate-kubeconfig,     and 3.9's "thick-plugin": its config daemon, the kubeconfig
#   multus-v3/multus-daemonset-thick-plugin.yml       generator its init container runs, and its upstream manifest)
#   multus-v4/multus, multus-v4/thin_entrypoint,     (gopkg.in/k8snetworkplumbingwg/multus-cni.v4: the 4.x thin plugin,
#   multus-v4/multus-daemon, multus-v4/multus-shim    and the thick plugin's daemon and shim)
#   noop                                              (the trivial delegate plugin: default network and every attachment)
# Module zips carry no vendor/ tree, so the source is copied out of the module cache and built with -mod=mod.
# Cached next to the control plane, keyed by the versions and this script. Prints the output directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=multus-versions.env
. "$here/multus-versions.env"
key=$(cat "$here/build-multus.sh" "$here/multus-versions.env" | sha256sum | cut -c1-12)
cache_root=${MTR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/multus-token-rotator}
out="$cache_root/multus-$MULTUS_V3_VERSION-$MULTUS_V4_VERSION-$key"
if [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "build-multus.sh: Go is not installed; install Go >= 1.26" >&2; exit 1; }
log() { echo "[build-multus $(date +%H:%M:%S)] $*" >&2; }
start=$(date +%s)
rm -rf "$out" && mkdir -p "$out/src" "$out/multus-v3" "$out/multus-v4"
source_of() { # module@version -> a writable copy of its source, without vendor/
  local dir dest=$out/src/$2
  dir=$(cd "$out/src" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$dir" ] || { echo "build-multus.sh: could not download $1 from the Go module proxy" >&2; exit 1; }
  cp -r "$dir" "$dest" && chmod -R u+w "$dest" && rm -rf "$dest/vendor"
  echo "$dest"
}
v3=$(source_of "gopkg.in/k8snetworkplumbingwg/multus-cni.v3@$MULTUS_V3_VERSION" v3)
v4=$(source_of "gopkg.in/k8snetworkplumbingwg/multus-cni.v4@$MULTUS_V4_VERSION" v4)
log "go build Multus $MULTUS_V3_VERSION (thin CNI binary)"
(cd "$v3" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/multus-v3/multus" ./cmd/ >&2)
cp "$v3/images/entrypoint.sh" "$out/multus-v3/entrypoint.sh" && chmod +x "$out/multus-v3/entrypoint.sh"
# 3.9's thick-plugin image (images/Dockerfile.thick, hack/build-go.sh): the same thin binary, plus multus-daemon
# (cmd/controller: it only generates 00-multus.conf) and generate-kubeconfig (cmd/config-generation).
log "go build Multus $MULTUS_V3_VERSION (thick-plugin: multus-daemon, generate-kubeconfig)"
(cd "$v3" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/multus-v3/multus-daemon" \
  ./cmd/controller/ >&2)
(cd "$v3" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" \
  -o "$out/multus-v3/generate-kubeconfig" ./cmd/config-generation >&2)
cp "$v3/deployments/multus-daemonset-thick-plugin.yml" "$out/multus-v3/multus-daemonset-thick-plugin.yml"
# The NetworkAttachmentDefinition CRD, as Multus's own deployment manifest declares it (its first document after the header comment).
awk '/^---/{n++; next} n==1' "$v4/deployments/multus-daemonset.yml" > "$out/network-attachment-definition-crd.yaml"
grep -q 'kind: CustomResourceDefinition' "$out/network-attachment-definition-crd.yaml" ||
  { echo "build-multus.sh: no CRD at the top of deployments/multus-daemonset.yml" >&2; exit 1; }
log "go build Multus $MULTUS_V4_VERSION (thin CNI binary, thin entrypoint, thick daemon and shim)"
(cd "$v4" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/multus-v4/" \
  ./cmd/multus ./cmd/thin_entrypoint ./cmd/multus-daemon ./cmd/multus-shim >&2)
cat > "$out/noop" <<'NOOP'
#!/bin/sh
# A trivial CNI plugin: the default network and every attachment of the simulated nodes. Succeeds with an empty
# result for ADD, and silently for DEL and CHECK.
cat >/dev/null
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.3.1","interfaces":[],"ips":[],"dns":{}}'
exit 0
NOOP
chmod +x "$out/noop"
rm -rf "$out/src"
touch "$out/.complete"
log "done in $(( $(date +%s) - start ))s: $out"
echo "$out"
