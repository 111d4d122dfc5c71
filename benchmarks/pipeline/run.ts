/**
 * Pipeline benchmark: sustained dispersal through a real devnet, per blob size, to FINALIZED.
 *
 *   pnpm bench:pipeline [--seconds 60 | --quick] [--sizes 16m,1m,64k] [--clients 4]
 *                       [--storage 4 --replication 2 --consensus 2 --validators 1 --encoders 1]
 *                       [--profile DIR] [--attach DIR] [--wait-for finalized] [--json PATH]
 *
 * Phases: the grpc-js loopback ceiling (no devnet running), then for each size a closed-loop
 * saturation phase (C clients back to back) followed by a drain until every accepted blob is
 * FINALIZED, then an open-loop phase at half the measured 16 MiB rate. See benchmarks/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BlobStatus } from "../../proto/src/gen/tributary/common/v1/blob_pb.ts";
import { machineInfo } from "../lib/machine.ts";
import { type LatencySummary, summarize } from "../lib/stats.ts";
import { fmt, fmtBytes, fmtMs, parseSize, renderTable } from "../lib/table.ts";
import { attachDevnet, type Devnet, startDevnet, waitPortsFree } from "./devnet.ts";
import { type CeilingRow, grpcCeiling } from "./grpcCeiling.ts";
import {
  type BlobRecord,
  closedLoop,
  connect,
  type DisperserClient,
  drain,
  type LoadResult,
  openLoop,
  TARGETS,
} from "./load.ts";
import { type CpuDelta, delta, snapshot, type TrackedProcess } from "./procstat.ts";

const MiB = 2 ** 20;
const TARGET_FINALIZED_MBPS = 40;
const STRETCH_FINALIZED_MBPS = 100;
const TARGET_P99_CERTIFIED_MS = 2000;
type WaitFor = keyof typeof TARGETS;

interface Options {
  readonly seconds: number;
  readonly quick: boolean;
  readonly sizes: readonly number[];
  readonly clients: number;
  readonly shape: {
    storage: number;
    replication: number;
    consensus: number;
    validators: number;
    encoders: number;
  };
  readonly nats: string;
  readonly redis: string;
  readonly dataDir: string | undefined;
  readonly keepData: boolean;
  readonly attach: string | undefined;
  readonly waitFor: WaitFor;
  readonly drainTimeoutSeconds: number;
  readonly halfLoad: boolean;
  readonly halfRateMBps: number | undefined;
  readonly maxInFlight: number;
  readonly ceiling: boolean;
  readonly ceilingSeconds: number;
  readonly warmup: number;
  readonly profileDir: string | undefined;
  readonly jsonPath: string | undefined;
  readonly requestTimeoutMs: number;
}

const USAGE = `usage: node benchmarks/pipeline/run.ts [options]
  --seconds N          load duration per phase (default 60)
  --quick              10 s phases, 1 s ceiling rows (numbers are rough; JSON to pipeline-quick.tmp.json)
  --sizes LIST         blob sizes (default 16m,1m,64k)
  --clients C          concurrent clients in the saturation phases (default 4)
  --storage N --replication R --consensus M --validators V --encoders E   devnet shape (4 2 2 1 1)
  --nats URL --redis URL   infra for the devnet; default private instances the CLI starts on
                       127.0.0.1:14222 / :16379 (so --fresh never wipes a shared NATS/Redis)
  --data-dir DIR       devnet data directory (default a new /tmp/tributary-bench-* removed afterwards)
  --keep-data          keep the data directory (logs) afterwards
  --attach DIR         measure a devnet already running on DIR (devnet.json) instead of starting one
  --wait-for S         encoded|certified|finalized: status the drain waits for (default finalized)
  --drain-timeout S    give up waiting for the drain after S seconds (default 180)
  --no-half-load       skip the open-loop phase at half the saturated 16 MiB rate
  --half-rate MBPS     rate of that phase in MB/s (default: half the measured 16 MiB finalized rate)
  --max-inflight N     open-loop in-flight cap (default 32)
  --no-ceiling         skip the grpc-js loopback ceiling
  --warmup N           untimed blobs per size before each phase (default = clients)
  --profile DIR        run every devnet process with --cpu-prof into DIR (+ pids.json naming them)
  --json PATH          write the JSON report to PATH only`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string" },
      quick: { type: "boolean", default: false },
      sizes: { type: "string", default: "16m,1m,64k" },
      clients: { type: "string", default: "4" },
      storage: { type: "string", default: "4" },
      replication: { type: "string", default: "2" },
      consensus: { type: "string", default: "2" },
      validators: { type: "string", default: "1" },
      encoders: { type: "string", default: "1" },
      nats: { type: "string", default: "127.0.0.1:14222" },
      redis: { type: "string", default: "redis://127.0.0.1:16379" },
      "data-dir": { type: "string" },
      "keep-data": { type: "boolean", default: false },
      attach: { type: "string" },
      "wait-for": { type: "string", default: "finalized" },
      "drain-timeout": { type: "string", default: "180" },
      "no-half-load": { type: "boolean", default: false },
      "half-rate": { type: "string" },
      "max-inflight": { type: "string", default: "32" },
      "no-ceiling": { type: "boolean", default: false },
      warmup: { type: "string" },
      profile: { type: "string" },
      json: { type: "string" },
      "request-timeout": { type: "string", default: "120000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (v: string, flag: string, min = 1) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}`);
    return n;
  };
  const waitFor = values["wait-for"];
  if (!(waitFor in TARGETS)) throw new Error("--wait-for must be encoded, certified or finalized");
  const clients = int(values.clients, "clients");
  return {
    seconds: values.seconds !== undefined ? Number(values.seconds) : values.quick ? 10 : 60,
    quick: values.quick,
    sizes: values.sizes.split(",").map(parseSize),
    clients,
    shape: {
      storage: int(values.storage, "storage"),
      replication: int(values.replication, "replication"),
      consensus: int(values.consensus, "consensus"),
      validators: int(values.validators, "validators"),
      encoders: int(values.encoders, "encoders"),
    },
    nats: values.nats,
    redis: values.redis,
    dataDir: values["data-dir"],
    keepData: values["keep-data"],
    attach: values.attach,
    waitFor: waitFor as WaitFor,
    drainTimeoutSeconds: Number(values["drain-timeout"]),
    halfLoad: !values["no-half-load"],
    halfRateMBps: values["half-rate"] !== undefined ? Number(values["half-rate"]) : undefined,
    maxInFlight: int(values["max-inflight"], "max-inflight"),
    ceiling: !values["no-ceiling"],
    ceilingSeconds: values.quick ? 1 : 3,
    warmup: values.warmup !== undefined ? int(values.warmup, "warmup", 0) : clients,
    profileDir: values.profile !== undefined ? resolve(values.profile) : undefined,
    jsonPath: values.json,
    requestTimeoutMs: int(values["request-timeout"], "request-timeout"),
  };
}

interface PhaseResult {
  readonly name: string;
  readonly kind: "saturation" | "half-load";
  readonly blobBytes: number;
  readonly clients: number;
  /** Open loop: offered rate. */
  readonly offeredMBps: number | undefined;
  readonly loadSeconds: number;
  readonly sent: number;
  readonly accepted: number;
  readonly skippedArrivals: number;
  readonly errors: Record<string, number>;
  readonly acceptedMBps: number;
  /** Blobs that reached the drain target (FINALIZED by default). */
  readonly reachedTarget: number;
  readonly failed: number;
  readonly notReached: number;
  /** Bytes that reached the target / (time the last one did - start of load). */
  readonly targetMBps: number;
  /** Of which reached the target within the load window (start..end of load). */
  readonly targetInWindowMBps: number;
  /** Seconds from the end of the load until the last blob reached the target. */
  readonly drainSeconds: number;
  readonly latencyMs: {
    readonly encodedAck: LatencySummary;
    readonly certified: LatencySummary;
    readonly finalized: LatencySummary;
  };
  readonly cpu: CpuDelta;
  /** CPU seconds per 1e9 bytes of blob data that reached the target, per service. */
  readonly cpuSecondsPerGB: Record<string, number>;
}

function groupErrors(records: readonly BlobRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) if (r.error !== undefined) out[r.error] = (out[r.error] ?? 0) + 1;
  return out;
}

function analyse(
  name: string,
  kind: PhaseResult["kind"],
  load: LoadResult,
  drainEndMs: number,
  waitFor: WaitFor,
  cpu: CpuDelta,
  clients: number,
  offeredMBps: number | undefined,
): PhaseResult {
  const { records, startMs, endMs } = load;
  const size = records[0]?.size ?? 0;
  const accepted = records.filter((r) => r.key !== undefined);
  const targetName = waitFor === "encoded" ? "ENCODED" : waitFor === "certified" ? "CERTIFIED" : "FINALIZED";
  const reached = accepted.filter(
    (r) => r.times?.[targetName] !== undefined || (waitFor === "encoded" && r.ackMs !== undefined),
  );
  const reachedAt = (r: BlobRecord) => r.times?.[targetName] ?? r.ackMs!;
  const lastReached = reached.reduce((m, r) => Math.max(m, reachedAt(r)), startMs);
  const reachedBytes = reached.reduce((s, r) => s + r.size, 0);
  const inWindowBytes = reached.filter((r) => reachedAt(r) <= endMs).reduce((s, r) => s + r.size, 0);
  const lastAck = accepted.reduce((m, r) => Math.max(m, r.ackMs!), startMs);
  const lat = (pick: (r: BlobRecord) => number | undefined) =>
    summarize(accepted.map(pick).filter((v): v is number => v !== undefined));
  const cpuSecondsPerGB: Record<string, number> = {};
  const gb = reachedBytes / 1e9;
  let total = 0;
  for (const [g, s] of Object.entries(cpu.byGroup)) {
    cpuSecondsPerGB[g] = s / gb;
    total += s;
  }
  cpuSecondsPerGB["bench-client"] = cpu.benchClient / gb;
  cpuSecondsPerGB["total (devnet)"] = total / gb;
  return {
    name,
    kind,
    blobBytes: size,
    clients,
    offeredMBps,
    loadSeconds: (endMs - startMs) / 1e3,
    sent: records.length,
    accepted: accepted.length,
    skippedArrivals: load.skipped,
    errors: groupErrors(records),
    acceptedMBps: accepted.reduce((s, r) => s + r.size, 0) / 1e6 / ((lastAck - startMs) / 1e3),
    reachedTarget: reached.length,
    failed: accepted.filter((r) => r.status === BlobStatus.FAILED || r.status === BlobStatus.EXPIRED).length,
    notReached: accepted.length - reached.length,
    targetMBps: reachedBytes / 1e6 / ((lastReached - startMs) / 1e3),
    targetInWindowMBps: inWindowBytes / 1e6 / ((endMs - startMs) / 1e3),
    drainSeconds: Math.max(
      0,
      ((reached.length === accepted.length ? lastReached : drainEndMs) - endMs) / 1e3,
    ),
    latencyMs: {
      encodedAck: lat((r) => (r.ackMs === undefined ? undefined : r.ackMs - r.sentMs)),
      certified: lat((r) => (r.times?.CERTIFIED === undefined ? undefined : r.times.CERTIFIED - r.sentMs)),
      finalized: lat((r) => (r.times?.FINALIZED === undefined ? undefined : r.times.FINALIZED - r.sentMs)),
    },
    cpu,
    cpuSecondsPerGB,
  };
}

function log(m: string): void {
  process.stderr.write(`[bench] ${m}\n`);
}

async function runPhase(
  name: string,
  kind: PhaseResult["kind"],
  clients: readonly DisperserClient[],
  poller: DisperserClient,
  opts: Options,
  tracked: readonly TrackedProcess[],
  size: number,
  rateMBps: number | undefined,
): Promise<PhaseResult> {
  const target = TARGETS[opts.waitFor];
  if (opts.warmup > 0) {
    const w = await openLoop(clients, size, 1000, opts.warmup / 1000, opts.warmup, opts.requestTimeoutMs);
    const errs = w.records.filter((r) => r.error !== undefined);
    if (errs.length === w.records.length)
      throw new Error(`warm-up: every dispersal failed (${errs[0]?.error ?? "?"})`);
    await drain(poller, w.records, target, 60_000);
  }
  const cpuProcs = tracked;
  const s0 = snapshot(cpuProcs);
  const what =
    rateMBps === undefined
      ? `${opts.clients} clients closed loop`
      : `open loop ${fmt(rateMBps)} MB/s (${fmt((rateMBps * 1e6) / size)} blobs/s)`;
  log(`${name}: ${fmtBytes(size)} blobs, ${what}, ${opts.seconds} s...`);
  const load =
    rateMBps === undefined
      ? await closedLoop(clients, size, opts.seconds, opts.requestTimeoutMs)
      : await openLoop(
          clients,
          size,
          (rateMBps * 1e6) / size,
          opts.seconds,
          opts.maxInFlight,
          opts.requestTimeoutMs,
        );
  const accepted = load.records.filter((r) => r.key !== undefined).length;
  log(
    `${name}: ${accepted}/${load.records.length} accepted in ${fmt((load.endMs - load.startMs) / 1e3)} s; draining to ${opts.waitFor}...`,
  );
  const d = await drain(poller, load.records, target, opts.drainTimeoutSeconds * 1e3, {
    onProgress: (left) => log(`  ${left} blobs not yet ${opts.waitFor}`),
  });
  const s1 = snapshot(cpuProcs);
  const totalCores = machineInfo().cores;
  const cpu = delta(s0, s1, cpuProcs, totalCores);
  if (d.timedOut > 0) log(`${name}: ${d.timedOut} blobs did not reach ${opts.waitFor} in time`);
  return analyse(name, kind, load, d.endMs, opts.waitFor, cpu, clients.length, rateMBps);
}

function printPhases(phases: readonly PhaseResult[], waitFor: WaitFor): void {
  const cols = [
    { header: "phase" },
    { header: "blob" },
    { header: "load" },
    { header: "blobs", right: true },
    { header: "err", right: true },
    { header: "accepted MB/s", right: true },
    { header: `${waitFor} MB/s`, right: true },
    { header: "ack p50", right: true },
    { header: "ack p99", right: true },
    { header: "CERT p50", right: true },
    { header: "CERT p99", right: true },
    { header: "FINAL p50", right: true },
    { header: "FINAL p99", right: true },
    { header: "not done", right: true },
    { header: "drain", right: true },
  ];
  const rows = phases.map((p) => [
    p.name,
    fmtBytes(p.blobBytes),
    p.offeredMBps === undefined ? `${p.clients} clients` : `${fmt(p.offeredMBps)} MB/s open`,
    String(p.accepted),
    String(p.sent - p.accepted),
    fmt(p.acceptedMBps),
    fmt(p.targetMBps),
    fmtMs(p.latencyMs.encodedAck.p50),
    fmtMs(p.latencyMs.encodedAck.p99),
    fmtMs(p.latencyMs.certified.p50),
    fmtMs(p.latencyMs.certified.p99),
    fmtMs(p.latencyMs.finalized.p50),
    fmtMs(p.latencyMs.finalized.p99),
    String(p.notReached),
    `${fmt(p.drainSeconds)} s`,
  ]);
  console.log(renderTable(cols, rows));
  for (const p of phases) {
    const errs = Object.entries(p.errors);
    if (errs.length > 0) console.log(`   ${p.name} errors: ${errs.map(([m, n]) => `${n}x ${m}`).join("; ")}`);
    if (p.skippedArrivals > 0)
      console.log(`   ${p.name}: ${p.skippedArrivals} arrivals skipped (in-flight cap reached)`);
  }
}

function printCpu(phases: readonly PhaseResult[]): void {
  const groups = new Set<string>();
  for (const p of phases) for (const g of Object.keys(p.cpuSecondsPerGB)) groups.add(g);
  const order = [...groups].sort((a, b) => {
    const rank = (g: string) => (g === "total (devnet)" ? 2 : g === "bench-client" ? 1 : 0);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const cols = [{ header: "CPU s per GB" }, ...phases.map((p) => ({ header: p.name, right: true }))];
  const rows = order.map((g) => [g, ...phases.map((p) => fmt(p.cpuSecondsPerGB[g]))]);
  rows.push([
    "machine busy (cores avg)",
    ...phases.map((p) => `${fmt(p.cpu.machineCores)} of ${machineInfo().cores}`),
  ]);
  rows.push(["  of which others (cores)", ...phases.map((p) => fmt(p.cpu.others / p.cpu.wallSeconds))]);
  console.log(renderTable(cols, rows));
}

function printCeiling(rows: readonly CeilingRow[]): void {
  const cols = [
    { header: "blob" },
    { header: "shape" },
    { header: "ops", right: true },
    { header: "wire MB/s", right: true },
    { header: "= blob MB/s (wire/4)", right: true },
    { header: "CPU s/wire GB", right: true },
  ];
  console.log(
    renderTable(
      cols,
      rows.map((r) => [
        fmtBytes(r.blobBytes),
        r.description,
        String(r.ops),
        fmt(r.wireMBps),
        fmt(r.blobMBps),
        fmt(r.cpuSecondsPerWireGB),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const machine = machineInfo();
  console.log(
    `Tributary pipeline benchmark${opts.quick ? " (--quick: short phases, numbers are rough)" : ""}\n` +
      `node ${machine.node} | ${machine.cpuModel} | ${machine.cores} cores | load ${machine.loadAvg.map((l) => l.toFixed(2)).join(" ")}\n` +
      `devnet: ${opts.attach !== undefined ? `attached to ${opts.attach}` : `${opts.shape.storage} storage shards r=${opts.shape.replication}, ${opts.shape.consensus} consensus shards x ${opts.shape.validators} validators, ${opts.shape.encoders} encoder(s)`}\n` +
      `MB = 1e6 bytes of blob data; latencies from the client's send to the services' status timestamps`,
  );

  let ceiling: CeilingRow[] = [];
  if (opts.ceiling) {
    log("grpc-js loopback ceiling (4x the blob bytes)...");
    ceiling = await grpcCeiling(opts.sizes, opts.ceilingSeconds, 4);
  }

  let devnet: Devnet | undefined;
  let ownDataDir: string | undefined;
  const cleanup = async () => {
    if (devnet !== undefined) {
      log("stopping the devnet...");
      await devnet.stop();
      devnet = undefined;
    }
    if (ownDataDir !== undefined && !opts.keepData) rmSync(ownDataDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.once("SIGTERM", () => void cleanup().then(() => process.exit(143)));

  const phases: PhaseResult[] = [];
  let halfRate: number | undefined;
  try {
    if (opts.attach !== undefined) {
      devnet = attachDevnet(resolve(opts.attach));
    } else {
      const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "tributary-bench-"));
      if (opts.dataDir === undefined) ownDataDir = dataDir;
      await waitPortsFree(120_000, log);
      const env: Record<string, string> = {};
      if (opts.profileDir !== undefined) {
        mkdirSync(opts.profileDir, { recursive: true });
        env.NODE_OPTIONS =
          `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${opts.profileDir}`.trim();
      }
      log(`starting devnet in ${dataDir}...`);
      devnet = await startDevnet({
        dataDir: resolve(dataDir),
        shape: opts.shape,
        nats: opts.nats,
        redis: opts.redis,
        timeoutMs: 240_000,
        env,
        log,
      });
      if (opts.profileDir !== undefined)
        writeFileSync(
          join(opts.profileDir, "pids.json"),
          `${JSON.stringify(
            devnet.processes.map((p) => ({ pid: p.pid, name: p.name, service: p.group })),
            null,
            2,
          )}\n`,
        );
    }
    log(`devnet up: ${devnet.processes.map((p) => `${p.name}(${p.pid})`).join(" ")}`);
    const clients = Array.from({ length: opts.clients }, () => connect(devnet!.disperser));
    const poller = connect(devnet.disperser);
    try {
      for (const size of opts.sizes) {
        phases.push(
          await runPhase(
            `sat-${fmtBytes(size).replace(" ", "")}`,
            "saturation",
            clients,
            poller,
            opts,
            devnet.processes,
            size,
            undefined,
          ),
        );
      }
      const sat16 = phases.find((p) => p.blobBytes === 16 * MiB);
      halfRate = opts.halfRateMBps ?? (sat16 === undefined ? undefined : sat16.targetMBps / 2);
      if (opts.halfLoad && halfRate !== undefined && Number.isFinite(halfRate) && halfRate > 0) {
        phases.push(
          await runPhase(
            "half-16MiB",
            "half-load",
            clients,
            poller,
            opts,
            devnet.processes,
            16 * MiB,
            halfRate,
          ),
        );
      }
    } finally {
      for (const c of clients) c.$close();
      poller.$close();
    }
  } finally {
    await cleanup();
  }

  console.log(`\n== dispersal (drain target ${opts.waitFor.toUpperCase()}; latencies from send)`);
  printPhases(phases, opts.waitFor);
  console.log(`\n== CPU seconds per GB of blob data ${opts.waitFor}, per service (utime+stime, /proc)`);
  printCpu(phases);
  if (ceiling.length > 0) {
    console.log("\n== raw ceiling: grpc-js loopback, 4x the blob bytes, raised HTTP/2 windows");
    printCeiling(ceiling);
  }

  const sat16 = phases.find((p) => p.kind === "saturation" && p.blobBytes === 16 * MiB);
  const half = phases.find((p) => p.kind === "half-load");
  const finalizedMeasured = opts.waitFor === "finalized" ? sat16?.targetMBps : undefined;
  const targets = [
    {
      id: "finalized-16MiB",
      description: `16 MiB blobs: >= ${TARGET_FINALIZED_MBPS} MB/s finalized (stretch ${STRETCH_FINALIZED_MBPS})`,
      measured: finalizedMeasured,
      unit: "MB/s",
      status:
        finalizedMeasured === undefined
          ? "not measured"
          : finalizedMeasured >= TARGET_FINALIZED_MBPS
            ? "pass"
            : "fail",
      stretchMet: finalizedMeasured === undefined ? undefined : finalizedMeasured >= STRETCH_FINALIZED_MBPS,
    },
    {
      id: "p99-certified-half-load",
      description: `16 MiB blobs at half the saturated rate: p99 to CERTIFIED <= ${TARGET_P99_CERTIFIED_MS / 1e3} s`,
      measured: half?.latencyMs.certified.n ? half.latencyMs.certified.p99 : undefined,
      unit: "ms",
      status:
        half === undefined || half.latencyMs.certified.n === 0
          ? "not measured"
          : half.notReached === 0 && half.latencyMs.certified.p99 <= TARGET_P99_CERTIFIED_MS
            ? "pass"
            : "fail",
      stretchMet: undefined,
    },
  ];
  console.log("\n== targets (issue: 2-core machine, 16 MiB blobs)");
  for (const t of targets) {
    const m =
      t.measured === undefined ? "-" : t.unit === "ms" ? fmtMs(t.measured) : `${fmt(t.measured)} MB/s`;
    const stretch = t.stretchMet === undefined ? "" : t.stretchMet ? " (stretch met)" : " (stretch not met)";
    console.log(`  [${t.status.toUpperCase()}]${stretch} ${t.description}: measured ${m}`);
  }
  const loaded = phases.filter((p) => p.cpu.others / p.cpu.wallSeconds > 0.2);
  if (loaded.length > 0)
    console.log(
      `\nWARNING: other processes used > 0.2 cores during ${loaded.map((p) => p.name).join(", ")} ` +
        "(row 'of which others'): the machine was shared, throughput is understated.",
    );

  const finishedAt = new Date();
  const report = {
    schema: "tributary.bench.pipeline/v1",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1e3,
    argv: process.argv.slice(2),
    options: opts,
    machine,
    machineAtEnd: { loadAvg: machineInfo().loadAvg },
    units: {
      MBps: "1e6 bytes of blob data per second",
      latencyMs: "ms from the client's send to the status timestamp the services recorded",
      cpuSecondsPerGB: "CPU (utime+stime) seconds per 1e9 bytes of blob data that reached the drain target",
    },
    halfLoadRateMBps: halfRate,
    phases,
    ceiling,
    targets,
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const resultsDir = join(here, "..", "results");
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, "")
    .replace(/\.\d+Z$/, "Z");
  const paths =
    opts.jsonPath !== undefined
      ? [opts.jsonPath]
      : opts.quick
        ? [join(resultsDir, "pipeline-quick.tmp.json")]
        : [join(resultsDir, `pipeline-${stamp}.json`), join(resultsDir, "pipeline-latest.json")];
  for (const p of paths) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, `${JSON.stringify(report, null, 2)}\n`);
  }
  console.log(`\nJSON: ${paths.join(", ")}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(
      `bench:pipeline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(1);
  },
);
