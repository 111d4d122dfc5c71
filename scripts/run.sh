#!/usr/bin/env bash
# Runs a root package.json script with the pinned toolchain, installing dependencies first if
# needed: `scripts/run.sh bench:codec --quick`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh
[ -d node_modules/.pnpm ] || pnpm install --frozen-lockfile --reporter=append-only
exec pnpm --silent run "$@"
