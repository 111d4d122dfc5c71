/**
 * Column store throughput on this machine's disk (os.tmpdir()): durable puts (two fdatasyncs
 * each, see services/storage-shard/src/columnStore.ts), verified reads, and index replay on open.
 *
 *   node benchmarks/storage/columnStore.bench.ts [--rounds N] [--json PATH]
 *
 * Every row runs twice in the same run: "buffered" writes through the page cache (the baseline)
 * and "direct" writes with O_DIRECT (directAppender.ts, what a storage shard uses). Rows:
 * - put 64 x 256 KiB: one StoreColumns of a shard that holds 64 columns of a 16 MiB blob
 *   (k = 128, 1 KiB cells: a column is 256 cells = 256 KiB);
 * - put 1 x 8 KiB: the latency floor of one small durable store (fsync bound);
 * - read 256 KiB: readColumn with SHA-256 verification (page cache warm after buffered writes,
 *   cold after direct ones);
 * - open: replaying an index of every column written.
 * Results go to benchmarks/results/storage-latest.json with the machine description.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { createLogger } from "../../services/runtime/src/logger.ts";
import { ColumnStore, type ColumnWrite } from "../../services/storage-shard/src/columnStore.ts";
import { createStandaloneStorageShardMetrics } from "../../services/storage-shard/src/metrics.ts";
import { machineInfo } from "../lib/machine.ts";
import { percentile } from "../lib/stats.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "8" }, json: { type: "string" } },
});
const rounds = Number(values.rounds);
const logger = createLogger({ service: "bench", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const MiB = 1024 * 1024;

function column(blob: number, col: number, bytes: number): ColumnWrite {
  return {
    blobKey: new Uint8Array(randomBytes(32)),
    header: new Uint8Array(116).fill(blob),
    expiresAtMs: undefined,
    column: col,
    columnRoot: new Uint8Array(32),
    rootProof: { index: 256 + col, siblings: Array.from({ length: 9 }, () => new Uint8Array(32)) },
    data: new Uint8Array(randomBytes(bytes)),
  };
}

type Row = {
  name: string;
  ops: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  p50Ms: number;
  p99Ms: number;
};
const rows: Row[] = [];

async function timed(
  name: string,
  n: number,
  bytesPer: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn(i);
    lat.push(performance.now() - s);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  rows.push({
    name,
    ops: n,
    bytes: n * bytesPer,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
  });
}

// Both write modes in the same run: "buffered" (through the page cache) is the baseline of
// "direct" (O_DIRECT, what a storage shard uses where the file system allows it).
for (const directIo of [false, true]) {
  const mode = directIo ? "direct" : "buffered";
  const dir = await mkdtemp(join(tmpdir(), "tributary-storage-bench-"));
  try {
    const metrics = createStandaloneStorageShardMetrics();
    const store = await ColumnStore.open({ dataDir: dir, directIo }, { logger, metrics });
    if (store.writeMode !== mode) console.log(`(${mode} writes unavailable here: ran ${store.writeMode})`);
    const big: ColumnWrite[][] = Array.from({ length: rounds }, (_, r) =>
      Array.from({ length: 64 }, (_, c) => column(r, c, 256 * 1024)),
    );
    await timed(`${mode}: put 64 x 256 KiB (16 MiB, durable)`, rounds, 16 * MiB, (i) => store.put(big[i]!));
    const small = Array.from({ length: 200 }, (_, i) => column(1000 + i, 0, 8 * 1024));
    await timed(`${mode}: put 1 x 8 KiB (durable)`, small.length, 8 * 1024, (i) => store.put([small[i]!]));
    const all = big.flat();
    await timed(`${mode}: read 256 KiB (sha-256 verified)`, all.length, 256 * 1024, async (i) => {
      const r = await store.readColumn(all[i]!.blobKey, all[i]!.column);
      if (!r.ok) throw new Error("read failed");
    });
    await store.close();
    const columns = all.length + small.length;
    await timed(`${mode}: open (replay ${columns} index records)`, 1, 0, async () => {
      const s = await ColumnStore.open(
        { dataDir: dir, directIo },
        { logger, metrics: createStandaloneStorageShardMetrics() },
      );
      await s.close();
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mb = (r: Row) => (r.bytes > 0 ? (r.bytes / 1e6 / r.seconds).toFixed(0) : "-");
const cpuPerGb = (r: Row) => (r.bytes > 0 ? (r.cpuSeconds / (r.bytes / 1e9)).toFixed(2) : "-");
console.log(`column store, ${tmpdir()}, node ${process.version}`);
console.log(
  "row".padEnd(54),
  "ops".padStart(6),
  "MB/s".padStart(8),
  "CPU s/GB".padStart(9),
  "p50 ms".padStart(9),
  "p99 ms".padStart(9),
);
for (const r of rows) {
  console.log(
    r.name.padEnd(54),
    String(r.ops).padStart(6),
    mb(r).padStart(8),
    cpuPerGb(r).padStart(9),
    r.p50Ms.toFixed(2).padStart(9),
    r.p99Ms.toFixed(2).padStart(9),
  );
}
const out = values.json ?? join(import.meta.dirname, "..", "results", "storage-latest.json");
await writeFile(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), machine: machineInfo(), dir: tmpdir(), rows }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
