#!/usr/bin/env bash
# The one test command (README, CI): installs the pinned toolchain and dependencies from the
# lockfile, builds the native codec, checks generated code is reproducible, lints, typechecks
# and runs every test tier against real NATS and Redis (started here when none answers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh

echo "== install (frozen lockfile)"
pnpm install --frozen-lockfile --reporter=append-only

echo "== generated code is reproducible"
pnpm --silent gen >/dev/null
git diff --exit-code --stat -- proto/src/gen || { echo "proto/src/gen is stale: run 'pnpm gen' and commit" >&2; exit 1; }

echo "== lint"
pnpm biome ci .

echo "== typecheck"
pnpm typecheck

echo "== services"
scripts/ensureServices.sh start
trap 'scripts/ensureServices.sh stop' EXIT

echo "== tests"
# CI must exercise the native SIMD codec, not silently fall back to JavaScript.
export TRIBUTARY_REQUIRE_NATIVE=1
report="$(mktemp)"
status=0
pnpm vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit $status
