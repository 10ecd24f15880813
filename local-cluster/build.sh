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

minor_patch=${K8S_VERSION#v1.}             # 37.2
staging_version="v0.$minor_patch"          # v0.37.2
k8s_minor=${minor_patch%%.*}

log "reading k8s.io/kubernetes@$K8S_VERSION's go.mod from the module proxy"
modfile=$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$modfile" ] || { echo "build.sh: could not download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy" >&2; exit 1; }
# Every staging module is required at v0.0.0 and replaced by ./staging/...; point each at its published version.
staging=$(awk '/^require|^\t/ {print}' "$modfile" | grep -oE 'k8s\.io/[a-z0-9-]+ v0\.0\.0( |$)' | awk '{print $1}' | sort -u)
{
  echo "module mtr.local/k8s-multicall"
  echo
  echo "go 1.26.0"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  for m in $staging; do echo "	$m => $m $staging_version"; done
  echo ")"
} > "$src/go.mod"
log "$(echo "$staging" | wc -l) staging modules pinned to $staging_version"

log "go mod tidy (first run downloads a few hundred modules)"
(cd "$src" && go mod tidy >&2)

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
  ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
log "go build k8s-multicall (cold: 15-40 minutes on 2 cores)"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/k8s-multicall" . >&2)
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do ln -sf k8s-multicall "$bin/$c"; done

log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
(cd "$src" && CGO_ENABLED=0 GOBIN="$bin" GOFLAGS=-trimpath go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2)

copy_kwok_data
touch "$out/.complete"
log "done in $(( $(date +%s) - start ))s: $bin"
echo "$bin"
