/**
 * What buffer churn costs a service process in garbage collection, with V8's default external
 * memory policy (the baseline) and with the flags every Tributary service sets at start
 * (services/runtime/src/v8Tuning.ts), measured in the same run.
 *
 *   node benchmarks/runtime/bufferChurn.bench.ts [--gb 4] [--heap-mb 60] [--json PATH]
 *
 * Each variant runs in a fresh child process that first builds a live heap of plain objects
 * (a service's code, caches and state: major GC cost grows with it), then streams `--gb` of
 * storage-lane traffic the way grpc-js handles it: a fresh Buffer per message (256 KiB and
 * 1 MiB, alternating), filled, copied once into a second fresh Buffer (the framing copy), and
 * kept in a short window of in-flight messages. Printed per variant: MB/s, CPU seconds per GB,
 * per-message latency percentiles, major GCs and peak RSS.
 */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { BULK_BUFFER_V8_FLAGS } from "../../services/runtime/src/v8Tuning.ts";
import { machineInfo } from "../lib/machine.ts";
import { summarize } from "../lib/stats.ts";
import { fmt, fmtMs, renderTable } from "../lib/table.ts";

type VariantResult = {
  variant: string;
  bytes: number;
  wallSeconds: number;
  cpuSeconds: number;
  majorGcs: number;
  gcMs: number;
  maxRssMB: number;
  /** Keeps the live heap reachable until the end of the run. */
  liveObjects: number;
  latencyMs: ReturnType<typeof summarize>;
};

const { values } = parseArgs({
  options: {
    gb: { type: "string", default: "4" },
    "heap-mb": { type: "string", default: "60" },
    json: { type: "string" },
    child: { type: "string" },
  },
});

if (values.child !== undefined) {
  process.stdout.write(
    JSON.stringify(await runChild(values.child, Number(values.gb), Number(values["heap-mb"]))),
  );
} else {
  await runParent();
}

async function runChild(variant: string, gb: number, heapMB: number): Promise<VariantResult> {
  if (variant === "tuned") for (const flag of BULK_BUFFER_V8_FLAGS) setFlagsFromString(flag);
  // ~100 bytes per object: heapMB of live, reachable state.
  const live: { id: number; name: string; list: number[] }[] = [];
  for (let i = 0; i < heapMB * 10_000; i++) live.push({ id: i, name: `object-${i}`, list: [i] });

  let majorGcs = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      gcMs += e.duration;
      // perf_hooks constants: NODE_PERFORMANCE_GC_MAJOR = 4.
      if (kind === 4) majorGcs++;
    }
  });
  observer.observe({ entryTypes: ["gc"] });

  const sizes = [256 * 1024, 1024 * 1024];
  const total = gb * 1e9;
  const window: Buffer[] = [];
  const latencies: number[] = [];
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; bytes < total; i++) {
    const t0 = performance.now();
    const size = sizes[i % sizes.length]!;
    const message = Buffer.allocUnsafe(size);
    message.fill(i & 0xff);
    const framed = Buffer.allocUnsafe(size + 5);
    message.copy(framed, 5);
    window.push(framed);
    if (window.length > 32) window.shift();
    latencies.push(performance.now() - t0);
    bytes += size;
  }
  const wallSeconds = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // GC entries are delivered asynchronously: let the queued ones arrive.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return {
    variant,
    bytes,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    majorGcs,
    gcMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    liveObjects: live.length,
    latencyMs: summarize(latencies),
  };
}

async function runParent(): Promise<void> {
  const results: VariantResult[] = [];
  for (const variant of ["default", "tuned"]) {
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", variant, "--gb", values.gb, "--heap-mb", values["heap-mb"]],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    if (child.status !== 0) throw new Error(`variant ${variant} failed: ${child.stderr}`);
    results.push(JSON.parse(child.stdout) as VariantResult);
  }
  console.log(
    `Buffer churn: ${values.gb} GB in fresh 256 KiB / 1 MiB Buffers, live heap ~${values["heap-mb"]} MB\n` +
      `variant "default" is V8's policy (baseline); "tuned" adds ${BULK_BUFFER_V8_FLAGS.join(" ")}\n`,
  );
  console.log(
    renderTable(
      [
        { header: "variant" },
        { header: "MB/s", right: true },
        { header: "CPU s/GB", right: true },
        { header: "p50", right: true },
        { header: "p99", right: true },
        { header: "max", right: true },
        { header: "major GCs", right: true },
        { header: "GC pause ms", right: true },
        { header: "peak RSS MB", right: true },
      ],
      results.map((r) => [
        r.variant,
        fmt(r.bytes / 1e6 / r.wallSeconds),
        fmt(r.cpuSeconds / (r.bytes / 1e9)),
        fmtMs(r.latencyMs.p50),
        fmtMs(r.latencyMs.p99),
        fmtMs(r.latencyMs.max),
        String(r.majorGcs),
        fmt(r.gcMs),
        fmt(r.maxRssMB),
      ]),
    ),
  );
  if (values.json !== undefined) {
    await writeFile(values.json, `${JSON.stringify({ machine: machineInfo(), results }, null, 2)}\n`);
  }
}
