/**
 * Machine description recorded with every result, and pinning a benchmark to one core.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

/** CPU flags worth recording for codec work (GF(2^8) SIMD and SHA extensions). */
const INTERESTING_FLAGS = [
  "sse4_2",
  "avx2",
  "avx512f",
  "avx512bw",
  "avx512vl",
  "gfni",
  "vaes",
  "vpclmulqdq",
  "sha_ni",
] as const;

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly cpuFlags: Record<string, boolean> | undefined;
  /** CPUs this process may run on (Cpus_allowed_list), e.g. "1" when pinned. */
  readonly cpusAllowed: string | undefined;
  readonly loadAvg: readonly number[];
  readonly totalMemBytes: number;
  readonly platform: string;
  readonly osRelease: string;
  readonly arch: string;
  readonly node: string;
  readonly v8: string;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export function cpusAllowed(): string | undefined {
  const status = readProc("/proc/self/status");
  return status?.match(/^Cpus_allowed_list:\s*(\S+)/m)?.[1];
}

/** Expands "0-3,6" into [0, 1, 2, 3, 6]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readProc("/proc/cpuinfo");
  let cpuFlags: Record<string, boolean> | undefined;
  const flagLine = cpuinfo?.match(/^flags\s*:\s*(.*)$/m)?.[1];
  if (flagLine !== undefined) {
    const flags = new Set(flagLine.split(/\s+/));
    cpuFlags = Object.fromEntries(INTERESTING_FLAGS.map((f) => [f, flags.has(f)]));
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    cpuFlags,
    cpusAllowed: cpusAllowed(),
    loadAvg: os.loadavg(),
    totalMemBytes: os.totalmem(),
    platform: os.platform(),
    osRelease: os.release(),
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
  };
}

const PINNED_ENV = "TRIBUTARY_BENCH_PINNED";

/**
 * Re-executes this process under `taskset -c <cpu>` unless it already runs on a single CPU, taskset
 * is missing, or pinning was switched off. `cpu` defaults to the highest allowed CPU (core 0 tends
 * to take more interrupts). Returns only in the process that should run the benchmark; the parent
 * exits with the child's status. The child keeps node's flags (e.g. --cpu-prof).
 */
export function pinToOneCore(cpu: number | undefined): void {
  if (process.env[PINNED_ENV] !== undefined) return;
  const allowed = cpusAllowed();
  if (allowed === undefined) return;
  const list = parseCpuList(allowed);
  if (list.length <= 1) return;
  const target = cpu ?? list[list.length - 1]!;
  const taskset = ["/usr/bin/taskset", "/bin/taskset"].find((p) => existsSync(p));
  if (taskset === undefined) {
    console.error("note: taskset not found; running unpinned (results are not 'one core' figures)");
    return;
  }
  const child = spawnSync(
    taskset,
    ["-c", String(target), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, [PINNED_ENV]: String(target) } },
  );
  if (child.error !== undefined) {
    console.error(`note: taskset failed (${child.error.message}); running unpinned`);
    return;
  }
  process.exit(child.status ?? 1);
}
