#!/usr/bin/env bash
# Builds what a real worker node runs, from source through the Go module proxy:
#   runc (cgo, -tags seccomp: needs Debian's libseccomp-dev), containerd, ctr, containerd-shim-runc-v2,
#   the CNI plugins bridge, host-local and loopback, and the kubelet (the control plane's K8S_VERSION),
#   pause (gcc -static of Kubernetes' build/pause/linux/pause.c, for the pause image), and Multus 4.x's install_multus
#   and passthru (the init container of upstream's thin DaemonSet copies both; build-multus.sh builds the rest), and
#   Multus 3.7's thin binary and entrypoint.sh (the seed's version line; build-multus.sh builds 3.9 and 4.x).
# Cached next to the control plane, keyed by the versions and this script. Prints the bin directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=../versions.env
. "$here/../versions.env"
# shellcheck source=../multus-versions.env
. "$here/../multus-versions.env"
# shellcheck source=../k8s-module.sh
. "$here/../k8s-module.sh"
key=$(cat "$here/build.sh" "$here/../k8s-module.sh" "$here/versions.env" "$here/../versions.env" "$here/../multus-versions.env" | sha256sum | cut -c1-12)
cache_root=${MTR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/multus-token-rotator}
out="$cache_root/real-node-$K8S_VERSION-runc-$RUNC_VERSION-containerd-$CONTAINERD_VERSION-cni-$CNI_PLUGINS_VERSION-$key"
bin="$out/bin"
if [ -f "$out/.complete" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "real-node/build.sh: Go is not installed; install Go >= 1.26" >&2; exit 1; }
command -v gcc >/dev/null || { echo "real-node/build.sh: gcc is missing (runc's seccomp support and pause need it); apt-get install -y gcc" >&2; exit 1; }
[ -f /usr/include/seccomp.h ] || { echo "real-node/build.sh: libseccomp-dev is missing (runc -tags seccomp needs it); apt-get install -y libseccomp-dev" >&2; exit 1; }
log() { echo "[build-real-node $(date +%H:%M:%S)] $*" >&2; }
start=$(date +%s)
rm -rf "$out" && mkdir -p "$bin" "$out/src/kubelet"
t=$(date +%s)
log "go install runc@$RUNC_VERSION (cgo, seccomp)"
(cd "$out/src" && CGO_ENABLED=1 GOBIN="$bin" go install -tags seccomp -trimpath -ldflags "-s -w" "github.com/opencontainers/runc@$RUNC_VERSION" >&2)
log "runc: $(( $(date +%s) - t ))s"; t=$(date +%s)
log "go install containerd@$CONTAINERD_VERSION (containerd, ctr, containerd-shim-runc-v2)"
(cd "$out/src" && CGO_ENABLED=0 GOBIN="$bin" go install -trimpath -ldflags "-s -w" \
  "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
  "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION" \
  "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" >&2)
log "containerd: $(( $(date +%s) - t ))s"; t=$(date +%s)
log "go install CNI plugins@$CNI_PLUGINS_VERSION (bridge, host-local, loopback)"
mkdir -p "$out/cni"
(cd "$out/src" && CGO_ENABLED=0 GOBIN="$out/cni" go install -trimpath -ldflags "-s -w" \
  "github.com/containernetworking/plugins/plugins/main/bridge@$CNI_PLUGINS_VERSION" \
  "github.com/containernetworking/plugins/plugins/ipam/host-local@$CNI_PLUGINS_VERSION" \
  "github.com/containernetworking/plugins/plugins/main/loopback@$CNI_PLUGINS_VERSION" >&2)
log "CNI plugins: $(( $(date +%s) - t ))s"; t=$(date +%s)

# The kubelet: cmd/kubelet/kubelet.go as main, in a module that pins every staging module (../k8s-module.sh).
src="$out/src/kubelet"
k8s_module "$src" mtr.local/kubelet
k8sdir=$K8S_MODULE_DIR
cp "$k8sdir/cmd/kubelet/kubelet.go" "$src/main.go" && chmod u+w "$src/main.go"
log "go mod tidy (kubelet)"
(cd "$src" && go mod tidy >&2)
ldflags=$(k8s_ldflags)
log "go build kubelet $K8S_VERSION (about 4 min on 2 idle cores)"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/kubelet" . >&2)
log "kubelet: $(( $(date +%s) - t ))s"; t=$(date +%s)

log "gcc -static pause ($K8S_VERSION build/pause/linux/pause.c)"
gcc -Os -static -Wall -o "$bin/pause" -DVERSION="$K8S_VERSION" "$k8sdir/build/pause/linux/pause.c" >&2
strip "$bin/pause" 2>/dev/null || true
log "go build install_multus (Multus $MULTUS_V4_VERSION)"
mdir=$(cd "$out/src" && GOFLAGS=-mod=mod go mod download -json "gopkg.in/k8snetworkplumbingwg/multus-cni.v4@$MULTUS_V4_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$mdir" ] || { echo "real-node/build.sh: could not download Multus $MULTUS_V4_VERSION" >&2; exit 1; }
cp -r "$mdir" "$out/src/multus-v4" && chmod -R u+w "$out/src/multus-v4" && rm -rf "$out/src/multus-v4/vendor"
mkdir -p "$out/multus-v4"
(cd "$out/src/multus-v4" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/multus-v4/" ./cmd/install_multus >&2)
(cd "$out/src/multus-v4" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/multus-v4/passthru" ./cmd/passthru-cni >&2)
log "go build Multus $MULTUS_V37_VERSION (thin CNI binary)"
mdir=$(cd "$out/src" && GOFLAGS=-mod=mod go mod download -json "gopkg.in/k8snetworkplumbingwg/multus-cni.v3@$MULTUS_V37_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$mdir" ] || { echo "real-node/build.sh: could not download Multus $MULTUS_V37_VERSION" >&2; exit 1; }
cp -r "$mdir" "$out/src/multus-v37" && chmod -R u+w "$out/src/multus-v37" && rm -rf "$out/src/multus-v37/vendor"
mkdir -p "$out/multus-v3.7"
(cd "$out/src/multus-v37" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/multus-v3.7/multus" ./cmd/ >&2)
cp "$mdir/images/entrypoint.sh" "$out/multus-v3.7/entrypoint.sh" && chmod 755 "$out/multus-v3.7/entrypoint.sh"
rm -rf "$out/src"
touch "$out/.complete"
log "done in $(( $(date +%s) - start ))s: $bin"
echo "$bin"
