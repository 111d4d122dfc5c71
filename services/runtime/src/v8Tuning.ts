/**
 * V8 heap settings for processes that move bulk bytes through short-lived Buffers (every grpc-js
 * message is a fresh Buffer: the encoder sends ~8 bytes and a storage shard receives ~2 for every
 * blob byte).
 *
 * By default V8 starts a full mark-compact each time memory held by ArrayBuffers grows ~64 MiB
 * past its level at the previous GC, whatever the JavaScript heap looks like. At storage-lane
 * rates that is a full GC every few tens of milliseconds, each marking the whole heap (tens of
 * MiB of code and state), while those buffers die young and are freed by scavenges anyway. In a
 * CPU profile of the 16 MiB pipeline this was ~40% of the encoder and ~25% of a storage shard.
 * `--external-memory-accounted-in-global-limit` counts ArrayBuffer memory against the global
 * heap limit instead (V8's own growth heuristics), which keeps peak RSS the same and drops the
 * GC cost of buffer churn ~20x: benchmarks/runtime/bufferChurn.bench.ts measures both in one run.
 *
 * The flag is refused in NODE_OPTIONS, and it is read when V8 computes limits, so setting it at
 * run time before the service allocates takes effect (the benchmark runs it exactly so).
 */
import { setFlagsFromString } from "node:v8";

export const BULK_BUFFER_V8_FLAGS = ["--external-memory-accounted-in-global-limit"] as const;

/**
 * Node options a service process should be started with (devnet supervisor, container image):
 * heap sizes are fixed when V8 starts, so they cannot be set from `tuneV8ForBulkBuffers`. A
 * 32 MiB semi-space (default 16) lets the per-message objects of a busy gRPC stream die young
 * instead of being promoted and collected by full GCs: in the 16 MiB pipeline benchmark the
 * encoder's full GCs dropped from 51 to 20 per run (--trace-gc).
 */
export const SERVICE_NODE_FLAGS = ["--max-semi-space-size=32"] as const;

export function tuneV8ForBulkBuffers(): void {
  for (const flag of BULK_BUFFER_V8_FLAGS) setFlagsFromString(flag);
}
