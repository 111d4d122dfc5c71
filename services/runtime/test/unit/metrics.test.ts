import { describe, expect, it } from "vitest";
import { assertMetricName, createMetrics } from "../../src/metrics.ts";

describe("metric naming rule", () => {
  it.each([
    ["counter", "tributary_disperser_blobs_received_total"],
    ["histogram", "tributary_disperser_request_duration_seconds"],
    ["histogram", "tributary_disperser_blob_size_bytes"],
    ["gauge", "tributary_storage_shard_disk_fill_ratio"],
    ["gauge", "tributary_attester_pending_blobs"],
  ] as const)("accepts %s %s", (kind, name) => {
    const service = name.startsWith("tributary_storage_shard") ? "storage-shard" : name.split("_")[1]!;
    expect(() => assertMetricName(service, kind, name)).not.toThrow();
  });

  it.each([
    ["counter", "tributary_disperser_blobs_received", /counters must end in "_total"/],
    ["gauge", "tributary_disperser_blobs_total", /only counters may end in "_total"/],
    ["histogram", "tributary_disperser_request_duration_ms", /reserved or not a base unit/],
    ["histogram", "tributary_disperser_request_duration", /must end in a unit/],
    ["counter", "disperser_blobs_total", /must start with "tributary_disperser_"/],
    ["counter", "tributary_encoder_blobs_total", /must start with "tributary_disperser_"/],
    ["counter", "tributary_disperser_BlobsTotal", /snake_case/],
    ["gauge", "tributary_disperser_bytes", /<what>_<unit>/],
    ["gauge", "tributary_disperser_queue_count", /reserved/],
  ] as const)("rejects %s %s", (kind, name, why) => {
    expect(() => assertMetricName("disperser", kind, name)).toThrow(why);
  });
});

describe("createMetrics", () => {
  it("registers typed metrics and prefixed process metrics in the service registry", async () => {
    const metrics = createMetrics({ service: "storage-shard" });
    const stored = metrics.counter({
      name: "tributary_storage_shard_columns_stored_total",
      help: "Columns stored",
      labelNames: ["result"],
    });
    stored.inc({ result: "ok" });
    metrics.histogram({
      name: "tributary_storage_shard_fsync_duration_seconds",
      help: "fsync latency",
      buckets: [0.001, 0.01, 0.1, 1],
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('tributary_storage_shard_columns_stored_total{result="ok"} 1');
    expect(text).toContain('tributary_storage_shard_fsync_duration_seconds_bucket{le="0.01"} 0');
    expect(text).toContain("tributary_storage_shard_process_cpu_seconds_total");
  });

  it("rejects bad names, bad labels and unsorted buckets", () => {
    const metrics = createMetrics({ service: "sampler", defaultMetrics: false });
    expect(() => metrics.gauge({ name: "tributary_sampler_lag", help: "x" })).toThrow(/unit/);
    expect(() =>
      metrics.counter({ name: "tributary_sampler_samples_total", help: "x", labelNames: ["Shard"] }),
    ).toThrow(/label/);
    expect(() =>
      metrics.histogram({ name: "tributary_sampler_fetch_seconds", help: "x", buckets: [1, 0.5] }),
    ).toThrow(/strictly increasing/);
  });

  it("reads a gauge's value at scrape time through its collect callback", async () => {
    const metrics = createMetrics({ service: "storage-shard", defaultMetrics: false });
    let free = 10;
    metrics.gauge({ name: "tributary_storage_shard_free_bytes", help: "x", collect: (g) => g.set(free) });
    expect(await metrics.registry.metrics()).toContain("tributary_storage_shard_free_bytes 10");
    free = 7;
    expect(await metrics.registry.metrics()).toContain("tributary_storage_shard_free_bytes 7");
  });

  it("exports no gauge whose name ends in _total (reserved for counters)", async () => {
    const metrics = createMetrics({ service: "sampler" });
    for (const m of (await metrics.registry.getMetricsAsJSON()).filter((x) => x.name.endsWith("_total"))) {
      expect(m.type, m.name).toBe("counter");
    }
  });
});
