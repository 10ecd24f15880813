# Sourced by build.sh (the control plane's k8s-multicall) and real-node/build.sh (the kubelet): both build code of
# k8s.io/kubernetes $K8S_VERSION as the main package of a module of their own, which needs the same two things.
#
# k8s_module SRC NAME: reads k8s.io/kubernetes@$K8S_VERSION's go.mod from the Go module proxy and writes SRC/go.mod for
#   module NAME, requiring it with every staging module (required there at v0.0.0 and replaced by ./staging/...)
#   pointed at its published version (v1.37.2 → v0.37.2). Sets K8S_MODULE_DIR (the module's source, for the files a
#   build copies from it) and K8S_STAGING_MODULES (how many were pinned).
# k8s_ldflags: the -ldflags that stamp $K8S_VERSION where `kubectl version`, /version and the kubelet report it, with a
#   fixed build date so that the binaries are reproducible.

k8s_module() {
  local src=$1 name=$2 json modfile staging m
  json=$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION")
  modfile=$(echo "$json" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  K8S_MODULE_DIR=$(echo "$json" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  if ! [ -f "$modfile" ] || ! [ -d "$K8S_MODULE_DIR" ]; then
    echo "$0: could not download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy" >&2
    return 1
  fi
  staging=$(awk '/^require|^\t/ {print}' "$modfile" | grep -oE 'k8s\.io/[a-z0-9-]+ v0\.0\.0( |$)' | awk '{print $1}' | sort -u)
  {
    echo "module $name"; echo; echo "go 1.26.0"; echo
    echo "require k8s.io/kubernetes $K8S_VERSION"; echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m v0.${K8S_VERSION#v1.}"; done
    echo ")"
  } > "$src/go.mod"
  K8S_STAGING_MODULES=$(echo "$staging" | wc -l)
}

k8s_ldflags() {
  local minor=${K8S_VERSION#v1.} flags="-s -w" pkg
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}
