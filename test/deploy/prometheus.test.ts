/**
 * A devnet scraped by a real Prometheus server (Debian's package) with the alert rules loaded:
 * every service's /metrics passes `promtool check metrics`, and under load Prometheus sees the
 * dispersal counters and latency histograms move. The devnet has its own NATS (15322) and Redis
 * (15479) and its ports shifted by PORT_OFFSET, so it never meets the e2e devnet; Prometheus
 * listens on 19090.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStatus } from "../../proto/src/gen/tributary/common/v1/blob_pb.ts";
import { Disperser } from "../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import { createClient, messageSizeOptions, type ServiceClient } from "../../proto/src/index.ts";
import { type DevnetHandle, startDevnet } from "../e2e/devnetHarness.ts";
import { type Daemon, startDaemon, waitUntil } from "./daemon.ts";
import { DEPLOY, requireTool, run } from "./tools.ts";

const PROMETHEUS = "127.0.0.1:19090";
const PORT_OFFSET = 1000;
const BLOBS = 24;
const KiB = 1024;

/** The service a devnet process runs: storage-3 -> storage-shard, consensus-0-v0 -> consensus-shard. */
function serviceOf(processName: string): string {
  if (processName.startsWith("storage-")) return "storage-shard";
  if (processName.startsWith("consensus-")) return "consensus-shard";
  return processName.replace(/-\d+$/, "");
}

/** A scrape config with the labels of deploy/prometheus: job = service, shard on consensus shards. */
function scrapeConfig(devnet: DevnetHandle): string {
  const jobs = new Map<string, { targets: string[]; labels: Record<string, string> }[]>();
  for (const p of devnet.processes) {
    const job = serviceOf(p.name);
    const labels: Record<string, string> = {};
    if (job === "consensus-shard") labels.shard = p.name.replace(/-v\d+$/, "");
    jobs.set(job, [...(jobs.get(job) ?? []), { targets: [`127.0.0.1:${p.adminPort}`], labels }]);
  }
  return JSON.stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    rule_files: [join(DEPLOY, "prometheus/alerts.yml")],
    scrape_configs: [...jobs].map(([job, static_configs]) => ({ job_name: job, static_configs })),
  });
}

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`http://${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== "success") throw new Error(`query ${promql}: ${body.error}`);
  return body.data.result;
}

/** The single value of a query, or undefined when it has no result yet. */
async function scalar(promql: string): Promise<number | undefined> {
  const result = await query(promql);
  return result.length === 0 ? undefined : Number(result[0]!.value[1]);
}

/** Polls until `check` holds for the query's value (Prometheus scrapes every second). */
async function eventually(
  promql: string,
  check: (v: number) => boolean,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < deadline) {
    last = await scalar(promql);
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${promql} stayed at ${last} for ${timeoutMs} ms`);
}

describe("Prometheus scraping a devnet under load", () => {
  let dir: string;
  let devnet: DevnetHandle | undefined;
  let prometheus: Daemon | undefined;
  let client: ServiceClient<typeof Disperser> | undefined;

  beforeAll(async () => {
    requireTool("prometheus");
    dir = mkdtempSync(join(tmpdir(), "tributary-prometheus-"));
    devnet = await startDevnet([
      ...["--storage", "4", "--replication", "2", "--consensus", "2", "--validators", "1"],
      ...["--nats", "nats://127.0.0.1:15322", "--redis", "redis://127.0.0.1:15479"],
      ...["--port-offset", String(PORT_OFFSET)],
    ]);
    const config = join(dir, "prometheus.yml");
    writeFileSync(config, scrapeConfig(devnet));
    const checked = await run("promtool", ["check", "config", config]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    prometheus = startDaemon(
      "prometheus",
      requireTool("prometheus"),
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=${PROMETHEUS}`,
      ],
      join(dir, "prometheus.log"),
    );
    await waitUntil(prometheus, async () => (await fetch(`http://${PROMETHEUS}/-/ready`)).ok, 60_000);
    client = createClient(Disperser, devnet.disperser, {
      channelOptions: messageSizeOptions(64 * 1024 * KiB),
    });
  });

  afterAll(async () => {
    client?.$close();
    await prometheus?.stop();
    await devnet?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the devnet on its own ports", () => {
    expect(devnet!.disperser).toBe(`127.0.0.1:${7100 + PORT_OFFSET}`);
    for (const p of devnet!.processes) expect(p.adminPort).toBeGreaterThanOrEqual(9100 + PORT_OFFSET);
  });

  it("promtool check metrics is clean on every service's /metrics", async () => {
    const services = new Set<string>();
    for (const p of devnet!.processes) {
      const text = await (await fetch(`http://127.0.0.1:${p.adminPort}/metrics`)).text();
      const r = await run("promtool", ["check", "metrics"], { input: text });
      expect(r.code, `${p.name}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(text).toContain(`tributary_${serviceOf(p.name).replace(/-/g, "_")}_`);
      services.add(serviceOf(p.name));
    }
    expect([...services].sort()).toEqual(
      ["attester", "consensus-shard", "disperser", "encoder", "sampler", "storage-shard"].sort(),
    );
  });

  it("scrapes every process and loads the alert rules", async () => {
    await eventually('count(up{job=~".+"} == 1)', (v) => v === devnet!.processes.length);
    const res = await fetch(`http://${PROMETHEUS}/api/v1/rules`);
    const rules = (await res.json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.length).toBeGreaterThanOrEqual(7);
    for (const rule of loaded) expect(rule.health, rule.name).not.toBe("err");
  });

  it("shows dispersal counters and latency histograms moving under load", async () => {
    const dispersed = "sum(tributary_disperser_dispersal_duration_seconds_count)";
    const before = (await scalar(dispersed)) ?? 0;
    const bytesBefore = (await scalar("sum(tributary_disperser_accepted_blob_bytes_total)")) ?? 0;

    // Load: BLOBS blobs of 1 KiB .. 1 MiB from 4 concurrent clients, then wait for FINALIZED.
    const keys: Uint8Array[] = [];
    let total = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < BLOBS; i = next++) {
          const data = randomBytes(KiB << (i % 11));
          total += data.length;
          const reply = await client!.disperseBlob(
            {
              data,
              namespace: Uint8Array.from([1, ...new Uint8Array(14), i]),
              retentionSeconds: 3600n,
              preset: "devnet",
            },
            { timeoutMs: 60_000 },
          );
          keys.push(reply.blobKey);
        }
      }),
    );
    const deadline = Date.now() + 180_000;
    for (const key of keys) {
      for (;;) {
        const st = await client!.getBlobStatus({ blobKey: key }, { timeoutMs: 10_000 });
        expect(st.status).not.toBe(BlobStatus.FAILED);
        if (st.status === BlobStatus.FINALIZED) break;
        if (Date.now() > deadline) throw new Error(`blob not FINALIZED: status ${st.status}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    for await (const _ of client!.retrieveBlob({ blobKey: keys[0]! }, { timeoutMs: 60_000 })) {
      // drain: the disperser counts retrieved bytes once it has rebuilt the blob
    }

    // Counters: every new blob counted once, its bytes added.
    await eventually(dispersed, (v) => v - before >= BLOBS);
    await eventually("sum(tributary_disperser_accepted_blob_bytes_total)", (v) => v - bytesBefore >= total);
    await eventually(
      'sum(tributary_disperser_blob_status_transitions_total{status="ENCODED"})',
      (v) => v >= BLOBS,
    );
    await eventually(
      'sum(tributary_attester_blob_status_transitions_total{status="CERTIFIED"})',
      (v) => v >= BLOBS,
    );
    await eventually(
      'sum(tributary_consensus_shard_blob_status_transitions_total{status="FINALIZED"})',
      (v) => v >= BLOBS,
    );
    await eventually("sum(tributary_encoder_blobs_encoded_total)", (v) => v >= BLOBS);
    await eventually("sum(tributary_disperser_retrieved_blob_bytes_total)", (v) => v > 0);
    await eventually('sum(tributary_sampler_blobs_sampled_total{result="passed"})', (v) => v > 0);
    // Rates over the load window are positive, as the dashboard's throughput panels show them.
    await eventually("sum(rate(tributary_disperser_accepted_blob_bytes_total[1m]))", (v) => v > 0);

    // Histograms: quantiles per stage are finite, positive and within the buckets.
    for (const histogram of [
      "tributary_disperser_dispersal_duration_seconds",
      "tributary_encoder_encode_duration_seconds",
      "tributary_encoder_store_duration_seconds",
      "tributary_attester_time_to_certificate_seconds",
      "tributary_consensus_shard_finality_latency_seconds",
    ]) {
      const p99 = await eventually(
        `histogram_quantile(0.99, sum by (le) (rate(${histogram}_bucket[1m])))`,
        (v) => Number.isFinite(v) && v > 0,
      );
      expect(p99, histogram).toBeLessThan(300);
    }
    // Storage fill is visible: the volume gauges of every storage shard.
    await eventually("count(tributary_storage_shard_volume_capacity_bytes > 0)", (v) => v === 4);
  });

  it("evaluates every dashboard query, and each panel but the fault panels shows data", async () => {
    type Panel = { title: string; type: string; targets?: { expr: string }[] };
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, "grafana/tributary.json"), "utf8")) as {
      panels: Panel[];
    };
    // Grafana's variables, as Grafana would fill them in over this short run.
    const fill = (expr: string) => expr.replaceAll("$__rate_interval", "1m").replaceAll("$__range", "10m");
    // Panels that only show faults (errors, failed samples), which a healthy devnet has none of.
    const faultOnly = /error|failure|rejected/i;
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      let series = 0;
      for (const target of panel.targets ?? []) series += (await query(fill(target.expr))).length;
      if (!faultOnly.test(panel.title)) expect(series, panel.title).toBeGreaterThan(0);
    }
  });
});
