#!/bin/sh
# Container entry point: `entrypoint.sh <service> [args]` runs services/<service>/src/main.ts.
# In a StatefulSet the pod's ordinal (the hostname's last `-N`) names the shard it is, so every
# pod of one template gets its own id and key file without a per-pod manifest:
#   storage-shard:   shard id storage-<N>, key /keys/bls/storage-<N>.seed
#   consensus-shard: validator id <shardId>-v<N>, key /keys/bls/<shardId>-v<N>.seed
# Values already set in the environment win.
set -eu
service="${1:-}"
[ "$#" -gt 0 ] && shift
ordinal="${HOSTNAME##*-}"
keys="${TRIBUTARY_KEYS_DIR:-/keys/bls}"
app="${TRIBUTARY_APP_DIR:-/app}"

case "$service" in
  storage-shard)
    : "${TRIBUTARY_STORAGE_SHARD_SHARD_ID:=storage-$ordinal}"
    : "${TRIBUTARY_STORAGE_SHARD_BLS_SEED_FILE:=$keys/$TRIBUTARY_STORAGE_SHARD_SHARD_ID.seed}"
    export TRIBUTARY_STORAGE_SHARD_SHARD_ID TRIBUTARY_STORAGE_SHARD_BLS_SEED_FILE
    ;;
  consensus-shard)
    : "${TRIBUTARY_CONSENSUS_SHARD_VALIDATOR_ID:=${TRIBUTARY_CONSENSUS_SHARD_SHARD_ID:-consensus-0}-v$ordinal}"
    : "${TRIBUTARY_CONSENSUS_SHARD_BLS_SEED_FILE:=$keys/$TRIBUTARY_CONSENSUS_SHARD_VALIDATOR_ID.seed}"
    export TRIBUTARY_CONSENSUS_SHARD_VALIDATOR_ID TRIBUTARY_CONSENSUS_SHARD_BLS_SEED_FILE
    ;;
  sampler)
    : "${TRIBUTARY_SAMPLER_BLS_SEED_FILE:=$keys/sampler.seed}"
    export TRIBUTARY_SAMPLER_BLS_SEED_FILE
    ;;
  tributary)
    exec node "$app/services/cli/src/main.ts" "$@"
    ;;
  disperser | encoder | attester | controller) ;;
  *)
    echo "usage: entrypoint.sh disperser|encoder|storage-shard|attester|consensus-shard|sampler|controller|tributary [args]" >&2
    exit 2
    ;;
esac
main="$app/services/$service/src/main.ts"
if [ ! -f "$main" ]; then
  echo "entrypoint.sh: $service is not in this image ($main missing)" >&2
  exit 2
fi
# The same node flags the devnet starts services with (services/runtime/src/v8Tuning.ts,
# SERVICE_NODE_FLAGS; test/deploy/entrypoint.test.ts keeps the two in step).
exec node --max-semi-space-size=32 "$main" "$@"
