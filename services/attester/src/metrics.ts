/**
 * The attester's metrics: one typed tree, built here and injected. Names are spelled in full in
 * this file only, so a rename is visible in review.
 */
import { createMetrics, createStatusTransitionsCounter, type Metrics } from "@tributary/runtime";
import { ATTESTER_SERVICE } from "./config.ts";

const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
/** From the first event of a batch to its certificate: ~batch delay + one SignBatch round. */
const TIME_TO_CERTIFICATE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createAttesterMetrics(metrics: Metrics) {
  return {
    registry: metrics.registry,
    batches: metrics.counter<"result">({
      name: "tributary_attester_batches_total",
      help: "Batches finished, by result (certified, below_threshold, unknown_epoch, publish_failed)",
      labelNames: ["result"],
    }),
    batchSize: metrics.histogram({
      name: "tributary_attester_batch_size_blobs",
      help: "Distinct blobs per batch",
      buckets: BATCH_SIZE_BUCKETS,
    }),
    timeToCertificate: metrics.histogram({
      name: "tributary_attester_time_to_certificate_seconds",
      help: "From the oldest event of a batch arriving to its certificate",
      buckets: TIME_TO_CERTIFICATE_BUCKETS,
    }),
    events: metrics.counter<"result">({
      name: "tributary_attester_encoded_events_total",
      help: "Encoded events received, by result (batched, invalid_header, malformed)",
      labelNames: ["result"],
    }),
    /** Passed to BlobStatusStore: the status funnel (docs/metrics.md). */
    statusTransitions: createStatusTransitionsCounter(metrics),
    envelopes: metrics.counter({
      name: "tributary_attester_envelopes_published_total",
      help: "Certificate envelopes published to consensus shards",
    }),
    pendingBlobs: metrics.gauge({
      name: "tributary_attester_pending_blobs",
      help: "Blobs waiting in a batch that has not been cut yet",
    }),
    inFlightBatches: metrics.gauge({
      name: "tributary_attester_in_flight_batches",
      help: "Batches being certified or published",
    }),
  };
}

export type AttesterMetrics = ReturnType<typeof createAttesterMetrics>;

/** A metrics tree on its own registry, without process metrics: for tests and tools. */
export function createStandaloneAttesterMetrics(): AttesterMetrics {
  return createAttesterMetrics(createMetrics({ service: ATTESTER_SERVICE, defaultMetrics: false }));
}
