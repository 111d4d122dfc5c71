/**
 * The capacity model of benchmarks/capacity.md: from the CPU each stage spent per GB of blob data
 * in a measured pipeline run, how many processes of each service, and how much of the shared
 * NATS and Redis, a target rate needs.
 *
 *   node benchmarks/capacity/model.ts [--pipeline benchmarks/results/pipeline-latest.json[,LATER.json]]
 *        [--storage benchmarks/results/storage-latest.json] [--rates 1,10] [--utilization 0.7]
 *        [--validators 3] [--replication 2]
 *
 * Inputs, all from earlier runs on this machine (nothing here is a guess unless printed as an
 * assumption):
 * - per service and blob size, CPU seconds per GB of blob data finalized (`bench:pipeline`'s
 *   saturated phases, utime+stime from /proc, one encoder, 4 storage shards at r = 2, 2
 *   consensus shards with 1 validator each);
 * - durable O_DIRECT put throughput of one storage shard's disk (`bench:storage`);
 * - the grpc-js loopback ceiling in CPU seconds per wire GB (same pipeline run).
 * Several pipeline runs may be given, comma-separated: a later run's phase replaces an earlier
 * one's for the same blob size (e.g. a re-run of one size after a change).
 * The model is linear: it assumes per-GB costs stay what they were on 2 cores as processes are
 * added (true for the storage lane, whose work is per byte; the publishing lane's per-shard
 * scaling is what `benchmarks/scaling` must confirm), and that one Node process uses at most
 * `utilization` of a core (single JavaScript thread plus libuv and GC threads).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { fmt, fmtBytes, renderTable } from "../lib/table.ts";

type Phase = { name: string; kind: string; blobBytes: number; cpuSecondsPerGB: Record<string, number> };
type PipelineRun = {
  startedAt: string;
  options: { shape: { storage: number; replication: number; consensus: number; validators: number } };
  phases: Phase[];
  ceiling: { shape: string; blobBytes: number; cpuSecondsPerWireGB: number }[];
};
type StorageRun = { rows: { name: string; bytes: number; seconds: number }[] };

const { values } = parseArgs({
  options: {
    pipeline: { type: "string", default: "benchmarks/results/pipeline-latest.json" },
    storage: { type: "string", default: "benchmarks/results/storage-latest.json" },
    rates: { type: "string", default: "1,10" },
    utilization: { type: "string", default: "0.7" },
    validators: { type: "string", default: "3" },
    replication: { type: "string", default: "2" },
  },
});
const runs = values.pipeline.split(",").map((path) => JSON.parse(readFileSync(path, "utf8")) as PipelineRun);
const run = runs[0]!;
const storage = JSON.parse(readFileSync(values.storage, "utf8")) as StorageRun;
const rates = values.rates.split(",").map(Number);
const utilization = Number(values.utilization);
const validators = Number(values.validators);
const replication = Number(values.replication);
const measuredReplication = run.options.shape.replication;
const measuredValidators = run.options.shape.validators;

const directPut = storage.rows.find((r) => r.name.startsWith("direct: put 64"));
if (directPut === undefined) throw new Error(`${values.storage} has no "direct: put 64 x 256 KiB" row`);
const diskMBps = directPut.bytes / 1e6 / directPut.seconds;

/** CPU-s per GB of blob for one service at the target shape (replication, validators). */
function cpuPerGB(phase: Phase, service: string): number {
  const measured = phase.cpuSecondsPerGB[service] ?? 0;
  // Storage work is per stored byte: it scales with replication. Every validator repeats the
  // consensus checks: it scales with validators per shard.
  if (service === "storage-shard") return (measured * replication) / measuredReplication;
  if (service === "consensus-shard") return (measured * validators) / measuredValidators;
  return measured;
}

const SERVICES = ["disperser", "encoder", "storage-shard", "attester", "consensus-shard", "sampler"];
const bySize = new Map<number, Phase & { from: string }>();
for (const r of runs) {
  for (const p of r.phases) if (p.kind === "saturation") bySize.set(p.blobBytes, { ...p, from: r.startedAt });
}
const saturated = [...bySize.values()].sort((a, b) => b.blobBytes - a.blobBytes);

console.log(
  `Capacity model from ${values.pipeline} and ${values.storage}\n` +
    `target shape: r = ${replication}, ${validators} validators per consensus shard; one Node process <= ${utilization} core\n` +
    `measured shape: r = ${measuredReplication}, ${measuredValidators} validator(s); one storage disk: ${fmt(diskMBps)} MB/s durable O_DIRECT puts\n`,
);

for (const phase of saturated) {
  console.log(`== ${fmtBytes(phase.blobBytes)} blobs (run ${phase.from})`);
  const rows: string[][] = [];
  for (const rate of rates) {
    const blobsPerSecond = (rate * 1e9) / phase.blobBytes;
    for (const service of SERVICES) {
      const cores = rate * cpuPerGB(phase, service);
      let processes = Math.ceil(cores / utilization);
      let note = "";
      if (service === "storage-shard") {
        const stored = rate * 1e3 * 4 * replication; // MB/s written: 2x2 extension, r copies
        const byDisk = Math.ceil(stored / diskMBps);
        if (byDisk > processes) note = `disk-bound (${fmt(stored)} MB/s written)`;
        processes = Math.max(processes, byDisk);
        note ||= `${fmt(stored / processes)} MB/s in and on disk per shard`;
      }
      if (service === "consensus-shard") {
        processes = Math.ceil(cores / utilization / validators) * validators;
        note = `${processes / validators} shards x ${validators} validators, ${fmt(blobsPerSecond / (processes / validators))} blobs/s per shard`;
      }
      rows.push([`${rate} GB/s`, service, fmt(cores), String(processes), note]);
    }
    for (const shared of ["nats-server", "redis-server"]) {
      const cores = rate * (phase.cpuSecondsPerGB[shared] ?? 0);
      rows.push([`${rate} GB/s`, shared, fmt(cores), "shared", `${fmt(blobsPerSecond)} blobs/s`]);
    }
  }
  console.log(
    renderTable(
      [
        { header: "rate" },
        { header: "service" },
        { header: "cores", right: true },
        { header: "processes", right: true },
        { header: "note" },
      ],
      rows,
    ),
  );
  const redis = phase.cpuSecondsPerGB["redis-server"] ?? 0;
  const nats = phase.cpuSecondsPerGB["nats-server"] ?? 0;
  console.log(
    `one Redis core (Redis executes commands on one thread) saturates at ${fmt(1 / redis)} GB/s of ${fmtBytes(phase.blobBytes)} blobs; ` +
      `one NATS core at ${fmt(1 / nats)} GB/s (R1 streams as measured; R3 roughly triples the write work)\n`,
  );
}

const wire = run.ceiling.find((c) => c.shape === "stream" && c.blobBytes === 16 * 2 ** 20);
if (wire !== undefined) {
  // Retrieval reads k of the 2k columns (2x the blob bytes) over gRPC and verifies them.
  console.log(
    `retrieve (estimate from measured parts, not a pipeline phase): >= ${fmt(2 * wire.cpuSecondsPerWireGB)} CPU-s per GB ` +
      `for moving 2 wire bytes per blob byte (grpc-js ceiling ${fmt(wire.cpuSecondsPerWireGB)} CPU-s per wire GB), plus column verification`,
  );
}
