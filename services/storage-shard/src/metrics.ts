/**
 * The storage shard's metrics: one typed tree, built here and injected. Names are spelled in full
 * in this file only, so a rename is visible in review.
 */
import { statfsSync } from "node:fs";
import { createMetrics, type Metrics } from "@tributary/runtime";

export const STORAGE_SHARD_SERVICE = "storage-shard";

/** fsync takes ~0.1 ms on a page-cache-only tmpfs and tens of ms on a busy disk. */
const FSYNC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A StoreColumns call: receive + verify + write + two fsyncs of up to ~128 MiB. */
const STORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type StorageShardMetricsOptions = {
  /** The data directory: its filesystem's size and free space are read at each scrape. */
  dataDir?: string;
};

export function createStorageShardMetrics(metrics: Metrics, opts: StorageShardMetricsOptions = {}) {
  // Read at scrape time (one statfs), so "storage near full" sees the volume as it is, whoever
  // else writes to it. Without a data directory (tests, tools) the gauges stay 0.
  const { dataDir } = opts;
  const volume = (pick: (s: { bsize: number; blocks: number; bavail: number }) => number) =>
    function collect(g: { set(v: number): void }): void {
      if (dataDir === undefined) return;
      try {
        g.set(pick(statfsSync(dataDir)));
      } catch {
        // The directory may not exist yet during startup; keep the last value.
      }
    };
  return {
    registry: metrics.registry,
    storedBytes: metrics.counter({
      name: "tributary_storage_shard_stored_bytes_total",
      help: "Column bytes durably written (segment payload, excluding record framing)",
    }),
    columnsStored: metrics.counter<"source">({
      name: "tributary_storage_shard_columns_stored_total",
      help: "Columns durably stored, by source (store: StoreColumns, repair: RepairColumn)",
      labelNames: ["source"],
    }),
    columnsRejected: metrics.counter<"code">({
      name: "tributary_storage_shard_columns_rejected_total",
      help: "Columns or streams rejected before storage, by error code",
      labelNames: ["code"],
    }),
    fsyncDuration: metrics.histogram<"file">({
      name: "tributary_storage_shard_fsync_duration_seconds",
      help: "Duration of one fsync, by file kind (segment, index, dir)",
      labelNames: ["file"],
      buckets: FSYNC_BUCKETS,
    }),
    storeDuration: metrics.histogram<"method">({
      name: "tributary_storage_shard_store_duration_seconds",
      help: "Time from a complete request to the durable acknowledgement, by method",
      labelNames: ["method"],
      buckets: STORE_BUCKETS,
    }),
    corruptReads: metrics.counter({
      name: "tributary_storage_shard_corrupt_reads_total",
      help: "Column reads whose bytes failed their checksum (not served)",
    }),
    retainedBytes: metrics.gauge({
      name: "tributary_storage_shard_retained_bytes",
      help: "Column bytes currently held (live, not yet expired)",
    }),
    retainedColumns: metrics.gauge({
      name: "tributary_storage_shard_retained_columns",
      help: "Columns currently held",
    }),
    diskBytes: metrics.gauge({
      name: "tributary_storage_shard_disk_bytes",
      help: "Bytes on disk in segment files and the index log (includes dead records not yet freed)",
    }),
    volumeCapacity: metrics.gauge({
      name: "tributary_storage_shard_volume_capacity_bytes",
      help: "Size of the filesystem holding the data directory",
      collect: volume((s) => s.blocks * s.bsize),
    }),
    volumeAvailable: metrics.gauge({
      name: "tributary_storage_shard_volume_available_bytes",
      help: "Bytes still available to this shard on the filesystem holding the data directory",
      collect: volume((s) => s.bavail * s.bsize),
    }),
    expiredBlobs: metrics.counter({
      name: "tributary_storage_shard_expired_blobs_total",
      help: "Blobs deleted because their retention ended",
    }),
    segmentsDeleted: metrics.counter({
      name: "tributary_storage_shard_segments_deleted_total",
      help: "Segment files unlinked because every record in them was dead",
    }),
    recoveryDroppedRecords: metrics.counter<"reason">({
      name: "tributary_storage_shard_recovery_dropped_records_total",
      help: "Index records dropped while opening the store, by reason (torn, missing_segment, past_end)",
      labelNames: ["reason"],
    }),
    sampledCells: metrics.counter<"result">({
      name: "tributary_storage_shard_sampled_cells_total",
      help: "SampleCells requests answered, by result (ok or the error code)",
      labelNames: ["result"],
    }),
    columnsServed: metrics.counter<"result">({
      name: "tributary_storage_shard_columns_served_total",
      help: "GetColumn requests answered, by result (ok or the error code)",
      labelNames: ["result"],
    }),
    signBatch: metrics.counter<"result">({
      name: "tributary_storage_shard_sign_batch_total",
      help: "SignBatch requests, by result (signed or the error code)",
      labelNames: ["result"],
    }),
  };
}

export type StorageShardMetrics = ReturnType<typeof createStorageShardMetrics>;

/** A metrics tree on its own registry, without process metrics: for tests and tools. */
export function createStandaloneStorageShardMetrics(): StorageShardMetrics {
  return createStorageShardMetrics(createMetrics({ service: STORAGE_SHARD_SERVICE, defaultMetrics: false }));
}
