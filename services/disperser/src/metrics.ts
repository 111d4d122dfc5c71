/**
 * The disperser's metrics: one typed tree, built here and injected. Names are spelled in full in
 * this file only, so a rename is visible in review.
 */
import { createMetrics, createStatusTransitionsCounter, type Metrics } from "@tributary/runtime";
import { DISPERSER_SERVICE } from "./config.ts";

/** Dispersal = encode + store on every shard + Redis + JetStream ack: ms for small, s for 16 MiB. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createDisperserMetrics(metrics: Metrics) {
  return {
    registry: metrics.registry,
    requests: metrics.counter<"method" | "code">({
      name: "tributary_disperser_requests_total",
      help: "Public API calls answered, by method and gRPC status code name",
      labelNames: ["method", "code"],
    }),
    acceptedBytes: metrics.counter({
      name: "tributary_disperser_accepted_blob_bytes_total",
      help: "Blob data bytes acknowledged as durable (idempotent retries not counted again)",
    }),
    dispersalDuration: metrics.histogram({
      name: "tributary_disperser_dispersal_duration_seconds",
      help: "DisperseBlob latency of new blobs, from request to acknowledgement",
      buckets: LATENCY_BUCKETS,
    }),
    retrievalDuration: metrics.histogram({
      name: "tributary_disperser_retrieval_duration_seconds",
      help: "RetrieveBlob latency: fetch k columns, verify, rebuild (excludes streaming back)",
      buckets: LATENCY_BUCKETS,
    }),
    retrievedBytes: metrics.counter({
      name: "tributary_disperser_retrieved_blob_bytes_total",
      help: "Blob data bytes rebuilt and verified for RetrieveBlob (the egress of the public API)",
    }),
    corruptedColumns: metrics.counter({
      name: "tributary_disperser_corrupted_columns_discarded_total",
      help: "Columns received from a storage shard that failed verification against the data root",
    }),
    columnFetchFailures: metrics.counter<"shard">({
      name: "tributary_disperser_column_fetch_failures_total",
      help: "GetColumn calls that failed (error, timeout or bad data), by storage shard",
      labelNames: ["shard"],
    }),
    /** Passed to BlobStatusStore: the status funnel (docs/metrics.md). */
    statusTransitions: createStatusTransitionsCounter(metrics),
    encoderRetries: metrics.counter({
      name: "tributary_disperser_encoder_retries_total",
      help: "EncodeBlob calls retried on another encoder after UNAVAILABLE",
    }),
  };
}

export type DisperserMetrics = ReturnType<typeof createDisperserMetrics>;

/** A metrics tree on its own registry without process metrics: for tests and tools. */
export function createStandaloneDisperserMetrics(): DisperserMetrics {
  return createDisperserMetrics(createMetrics({ service: DISPERSER_SERVICE, defaultMetrics: false }));
}
