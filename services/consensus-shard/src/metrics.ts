/**
 * The consensus shard's metrics: one typed tree, built here and injected. Names are spelled in
 * full in this file only, so a rename is visible in review.
 */
import { createMetrics, createStatusTransitionsCounter, type Metrics } from "@tributary/runtime";

export const CONSENSUS_SHARD_SERVICE = "consensus-shard";

const ENTRY_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** Block proposal to finality: sampling (~s cells per blob) plus one vote round. */
const FINALITY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export function createConsensusShardMetrics(metrics: Metrics) {
  return {
    registry: metrics.registry,
    blocksPublished: metrics.counter({
      name: "tributary_consensus_shard_blocks_published_total",
      help: "Blocks this process published as leader",
    }),
    blockConflicts: metrics.counter({
      name: "tributary_consensus_shard_block_conflicts_total",
      help: "Block publishes refused by the expected-last-sequence check (another leader won the height)",
    }),
    blockEntries: metrics.histogram({
      name: "tributary_consensus_shard_block_size_entries",
      help: "Certificates (block entries) per published block",
      buckets: ENTRY_BUCKETS,
    }),
    finalityLatency: metrics.histogram({
      name: "tributary_consensus_shard_finality_latency_seconds",
      help: "From a block's proposal time to its finality event",
      buckets: FINALITY_BUCKETS,
    }),
    leaseHeld: metrics.gauge({
      name: "tributary_consensus_shard_lease_held_shards",
      help: "1 while this validator holds its shard's leader lease, else 0",
    }),
    headHeight: metrics.gauge({
      name: "tributary_consensus_shard_head_height",
      help: "Height of the last block this validator has checked",
    }),
    certificates: metrics.counter<"result">({
      name: "tributary_consensus_shard_certificates_total",
      help: "Certificate envelopes handled by the leader, by result (accepted, duplicate, rejected)",
      labelNames: ["result"],
    }),
    /** Passed to BlobStatusStore: the status funnel (docs/metrics.md). */
    statusTransitions: createStatusTransitionsCounter(metrics),
    blocksChecked: metrics.counter<"result">({
      name: "tributary_consensus_shard_blocks_checked_total",
      help: "Blocks checked by this validator, by result (valid, invalid)",
      labelNames: ["result"],
    }),
    votes: metrics.counter<"result">({
      name: "tributary_consensus_shard_votes_total",
      help: "Votes received by the aggregator, by result (accepted, duplicate, invalid_signature, ...)",
      labelNames: ["result"],
    }),
    sampleReports: metrics.counter<"result">({
      name: "tributary_consensus_shard_sample_reports_total",
      help: "Sample reports read, by result (passed, failed, bad_signature, unsigned)",
      labelNames: ["result"],
    }),
  };
}

export type ConsensusShardMetrics = ReturnType<typeof createConsensusShardMetrics>;

export function createStandaloneConsensusShardMetrics(): ConsensusShardMetrics {
  return createConsensusShardMetrics(
    createMetrics({ service: CONSENSUS_SHARD_SERVICE, defaultMetrics: false }),
  );
}
