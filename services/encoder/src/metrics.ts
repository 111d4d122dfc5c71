/**
 * The encoder's metrics: one typed tree, built here and injected. Names are spelled in full in
 * this file only, so a rename is visible in review.
 */
import { createMetrics, type Metrics } from "@tributary/runtime";
import { ENCODER_SERVICE } from "./config.ts";

/** Encoding a 16 MiB blob takes ~60 ms on one core; 1 KiB blobs well under 1 ms. */
const ENCODE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Streaming columns to every shard until the last fsync'd receipt: ms for small, s for 16 MiB. */
const STORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createEncoderMetrics(metrics: Metrics) {
  return {
    registry: metrics.registry,
    blobsEncoded: metrics.counter({
      name: "tributary_encoder_blobs_encoded_total",
      help: "Blobs encoded and made durable on the storage shards",
    }),
    encodedBytes: metrics.counter({
      name: "tributary_encoder_encoded_bytes_total",
      help: "Blob data bytes of the blobs encoded and made durable",
    }),
    encodeDuration: metrics.histogram({
      name: "tributary_encoder_encode_duration_seconds",
      help: "Time to lay out, extend and commit one blob's square",
      buckets: ENCODE_BUCKETS,
    }),
    storeDuration: metrics.histogram({
      name: "tributary_encoder_store_duration_seconds",
      help: "Time from the first column sent to the last storage receipt (or failure) of one blob",
      buckets: STORE_BUCKETS,
    }),
    storeFailures: metrics.counter<"shard" | "code">({
      name: "tributary_encoder_store_failures_total",
      help: "StoreColumns streams that failed or returned an unusable receipt, by shard and gRPC code",
      labelNames: ["shard", "code"],
    }),
    sentColumnBytes: metrics.counter({
      name: "tributary_encoder_sent_column_bytes_total",
      help: "Column bytes streamed to storage shards (replication included)",
    }),
    requests: metrics.counter<"code">({
      name: "tributary_encoder_requests_total",
      help: "EncodeBlob calls answered, by gRPC status code name",
      labelNames: ["code"],
    }),
  };
}

export type EncoderMetrics = ReturnType<typeof createEncoderMetrics>;

/** A metrics tree on its own registry without process metrics: for tests and tools. */
export function createStandaloneEncoderMetrics(): EncoderMetrics {
  return createEncoderMetrics(createMetrics({ service: ENCODER_SERVICE, defaultMetrics: false }));
}
