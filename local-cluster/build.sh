#!/usr/bin/env bash
# Builds the local control plane from source through the Go module proxy:
#   k8s-multicall (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and kwok.
# Versions come from versions.env. Output is cached outside the repository, keyed by the versions and by the
# hash of multicall/main.go, so it is rebuilt only when the pin changes. kwok's CRDs and default stages are copied
# from its module next to the binaries (they are data, read at cluster start).
# Prints the bin directory on stdout; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=k8s-module.sh
. "$here/k8s-module.sh"
key=$(cat "$here/multicall/main.go" "$here/versions.env" | sha256sum | cut -c1-12)
cache_root=${MTR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/multus-token-rotator}
out="$cache_root/k8s-$K8S_VERSION-kwok-$KWOK_VERSION-$key"
bin="$out/bin"
copy_kwok_data() {
  local dir
  dir=$(cd "$out/src" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$out/kwok/crd" "$out/kwok/stage"
  cp "$dir"/kustomize/crd/bases/kwok.x-k8s.io_execs.yaml "$dir"/kustomize/crd/bases/kwok.x-k8s.io_clusterexecs.yaml "$out/kwok/crd/"
  cp "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
     "$dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-ready.yaml "$dir"/kustomize/stage/pod/fast/pod-complete.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-delete.yaml "$out/kwok/stage/"
  chmod -R u+w "$out/kwok"
}
if [ -x "$bin/k8s-multicall" ] && [ -x "$bin/kwok" ] && [ -f "$out/.complete" ]; then
  [ -d "$out/kwok/stage" ] || copy_kwok_data
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build.sh: Go is not installed; install Go >= 1.26 (the control plane is built from source)" >&2; exit 1; }
log() { echo "[build $(date +%H:%M:%S)] $*" >&2; }
start=$(date +%s)
mkdir -p "$bin" "$out/src"
src="$out/src"
cp "$here/multicall/main.go" "$src/main.go"

log "reading k8s.io/kubernetes@$K8S_VERSION's go.mod from the module proxy"
k8s_module "$src" mtr.local/k8s-multicall
log "$K8S_STAGING_MODULES staging modules pinned to v0.${K8S_VERSION#v1.}"

log "go mod tidy (first run downloads a few hundred modules)"
(cd "$src" && go mod tidy >&2)

ldflags=$(k8s_ldflags)
log "go build k8s-multicall (cold: 15-40 minutes on 2 cores)"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/k8s-multicall" . >&2)
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do ln -sf k8s-multicall "$bin/$c"; done

log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
(cd "$src" && CGO_ENABLED=0 GOBIN="$bin" GOFLAGS=-trimpath go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2)

copy_kwok_data
touch "$out/.complete"
log "done in $(( $(date +%s) - start ))s: $bin"
echo "$bin"
