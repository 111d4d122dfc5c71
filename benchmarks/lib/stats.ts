/**
 * Timing harness and statistics shared by the benchmarks under benchmarks/.
 *
 * A benchmark is a `run(i)` closure, optionally preceded by an untimed `setup(i)` (e.g. copying a
 * damaged square back before each rebuild). The harness warms up, then runs until both a minimum
 * timed duration and a minimum iteration count are reached, recording one wall-clock latency per
 * op and the process CPU time (user + system, from process.cpuUsage) spent in `run` only.
 */

export interface LatencySummary {
  readonly n: number;
  readonly mean: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Percentile (0..100) of an ascending array, linear interpolation between closest ranks. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sorted[0]!;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    min: sorted.length === 0 ? Number.NaN : sorted[0]!,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** CPU seconds (user + system) in a process.cpuUsage() delta. */
export function cpuSeconds(delta: NodeJS.CpuUsage): number {
  return (delta.user + delta.system) / 1e6;
}

export interface BenchOptions {
  /** Bytes of payload (blob data) one op processes; 0 when throughput in bytes makes no sense. */
  readonly bytesPerOp: number;
  /** Untimed per-iteration preparation (its CPU time is excluded too). */
  readonly setup?: (i: number) => void;
  readonly run: (i: number) => void;
  /** Warm-up: at least this many untimed iterations... */
  readonly warmupIters?: number;
  /** ...and keep warming up until this much time has passed. */
  readonly warmupMs?: number;
  /** Timed phase lasts until at least minTimeMs of op time AND minIters ops... */
  readonly minTimeMs: number;
  readonly minIters: number;
  /** ...but never more than maxIters ops. */
  readonly maxIters?: number;
}

export interface BenchResult {
  readonly iterations: number;
  /** Sum of the timed op durations, seconds. */
  readonly wallSeconds: number;
  /** Process CPU seconds spent during the timed ops (all threads). */
  readonly cpuSeconds: number;
  /** Per-op wall latency, milliseconds. */
  readonly latencyMs: LatencySummary;
  readonly opsPerSec: number;
  /** Payload throughput; MB = 1e6 bytes, MiB = 2^20 bytes. Undefined when bytesPerOp is 0. */
  readonly mbPerSec: number | undefined;
  readonly mibPerSec: number | undefined;
  /** CPU seconds per 1e9 payload bytes. */
  readonly cpuSecondsPerGB: number | undefined;
  readonly cpuSecondsPerOp: number;
  /** Contention-robust rates: payload MB and ops per CPU-second actually spent. */
  readonly mbPerCpuSecond: number | undefined;
  readonly opsPerCpuSecond: number;
  /** cpuSeconds / wallSeconds: ~1 for single-threaded work on an idle core. */
  readonly cpuPerWall: number;
}

export function bench(opts: BenchOptions): BenchResult {
  const warmupIters = opts.warmupIters ?? 1;
  const warmupMs = opts.warmupMs ?? 200;
  const maxIters = opts.maxIters ?? Number.MAX_SAFE_INTEGER;
  const { setup, run } = opts;

  const warmStart = performance.now();
  for (let i = 0; i < warmupIters || performance.now() - warmStart < warmupMs; i++) {
    setup?.(i);
    run(i);
    if (i >= maxIters) break;
  }

  const samples: number[] = [];
  let timedMs = 0;
  let cpuMicros = 0;
  if (setup === undefined) {
    // No per-op setup: one cpuUsage pair around the loop keeps the getrusage cost out of the ops.
    const cpu0 = process.cpuUsage();
    for (let i = 0; (timedMs < opts.minTimeMs || i < opts.minIters) && i < maxIters; i++) {
      const t0 = performance.now();
      run(i);
      const dt = performance.now() - t0;
      samples.push(dt);
      timedMs += dt;
    }
    const d = process.cpuUsage(cpu0);
    cpuMicros = d.user + d.system;
  } else {
    for (let i = 0; (timedMs < opts.minTimeMs || i < opts.minIters) && i < maxIters; i++) {
      setup(i);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      run(i);
      const dt = performance.now() - t0;
      const d = process.cpuUsage(cpu0);
      cpuMicros += d.user + d.system;
      samples.push(dt);
      timedMs += dt;
    }
  }

  const n = samples.length;
  const wallSeconds = timedMs / 1e3;
  const cpu = cpuMicros / 1e6;
  const bytes = n * opts.bytesPerOp;
  const hasBytes = opts.bytesPerOp > 0;
  return {
    iterations: n,
    wallSeconds,
    cpuSeconds: cpu,
    latencyMs: summarize(samples),
    opsPerSec: n / wallSeconds,
    mbPerSec: hasBytes ? bytes / 1e6 / wallSeconds : undefined,
    mibPerSec: hasBytes ? bytes / 2 ** 20 / wallSeconds : undefined,
    cpuSecondsPerGB: hasBytes ? cpu / (bytes / 1e9) : undefined,
    cpuSecondsPerOp: cpu / n,
    mbPerCpuSecond: hasBytes ? bytes / 1e6 / cpu : undefined,
    opsPerCpuSecond: n / cpu,
    cpuPerWall: cpu / wallSeconds,
  };
}
