/**
 * The sampler's metrics: one typed tree, built here and injected. Names are spelled in full in
 * this file only, so a rename is visible in review.
 */
import { createMetrics, type Metrics } from "@tributary/runtime";

export const SAMPLER_SERVICE = "sampler";

export function createSamplerMetrics(metrics: Metrics) {
  return {
    registry: metrics.registry,
    samples: metrics.counter<"result">({
      name: "tributary_sampler_samples_total",
      help: "Sampled cells, by result (verified, failed: no holder gave a verifying cell)",
      labelNames: ["result"],
    }),
    blobsSampled: metrics.counter<"result">({
      name: "tributary_sampler_blobs_sampled_total",
      help: "Blobs sampled, by report result (passed, failed)",
      labelNames: ["result"],
    }),
    rejectedAnswers: metrics.counter<"shard">({
      name: "tributary_sampler_rejected_answers_total",
      help: "Cell answers discarded (error or bad proof), by storage shard",
      labelNames: ["shard"],
    }),
    lag: metrics.gauge<"shard">({
      name: "tributary_sampler_sampling_lag_seconds",
      help: "Now minus the proposal time of the block being sampled, by consensus shard",
      labelNames: ["shard"],
    }),
    reportsPublished: metrics.counter({
      name: "tributary_sampler_reports_published_total",
      help: "Sample reports published on the publishing lane",
    }),
    followedShards: metrics.gauge({
      name: "tributary_sampler_followed_shards",
      help: "Consensus shards whose block stream is followed",
    }),
  };
}

export type SamplerMetrics = ReturnType<typeof createSamplerMetrics>;

export function createStandaloneSamplerMetrics(): SamplerMetrics {
  return createSamplerMetrics(createMetrics({ service: SAMPLER_SERVICE, defaultMetrics: false }));
}
