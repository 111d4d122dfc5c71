#!/usr/bin/env bash
# The one test command (README, CI): installs the pinned toolchain and dependencies from the
# lockfile, builds the native codec, checks generated code is reproducible, lints, typechecks
# and runs every test tier against real NATS and Redis (started here when none answers); the
# deploy tier's tools (helm, promtool, Prometheus, etcd, kube-apiserver) are installed first.
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

echo "== deploy tools (helm, kubectl, promtool, prometheus, etcd, kube-apiserver; cached)"
scripts/deployTools.sh all

echo "== services"
scripts/ensureServices.sh start
trap 'scripts/ensureServices.sh stop' EXIT

echo "== tests"
# CI must exercise the native SIMD codec, not silently fall back to JavaScript.
export TRIBUTARY_REQUIRE_NATIVE=1
reports="$(mktemp -d)"
status=0
# Unit and integration tiers first; the e2e tier runs a whole devnet on fixed ports and clears
# the devnet's NATS streams and Redis keys, so it runs alone afterwards.
pnpm vitest run --project unit --project integration --reporter=default --reporter=json \
  --outputFile.json="$reports/1.json" "$@" || status=$?
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
  pnpm vitest run --project e2e --passWithNoTests --reporter=default --reporter=json --outputFile.json="$reports/2.json" || status=$?
fi
# The deploy tier (chart, alert rules, a devnet scraped by Prometheus) after the e2e one: its
# devnet has its own NATS, Redis and ports, but the two would still compete for the 2 cores.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
  pnpm vitest run --project deploy --reporter=default --reporter=json --outputFile.json="$reports/3.json" || status=$?
fi
# Hostile input (fuzzed decoders and gRPC handlers, FUZZ_CASES cases; `pnpm fuzz` for long runs):
# real servers on loopback ports chosen by the OS, unique NATS streams and Redis keys.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
  pnpm vitest run --project faults --reporter=default --reporter=json --outputFile.json="$reports/4.json" || status=$?
fi
node -e '
  const fs = require("fs");
  let p = 0, f = 0, s = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${file}`, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
' "$reports" || true
rm -rf "$reports"
exit $status
