/**
 * CPU accounting from /proc: per-process user + system time (all threads) and the machine's busy
 * time, so a benchmark can charge CPU seconds to each service and say how loaded the machine was
 * by everything else.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

function clockTicks(): number {
  try {
    const v = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
}

const TICKS = clockTicks();

/** Fields of /proc/<pid>/stat after the `(comm)` field; index 0 is field 3 (state). */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(")");
  return close < 0 ? undefined : text.slice(close + 2).split(" ");
}

/** utime + stime of a live process in seconds (undefined once it has exited). */
export function processCpuSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  if (f === undefined) return undefined;
  // Fields 14 (utime) and 15 (stime) of proc(5), in clock ticks.
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Direct children of `ppid` (scans /proc; fine for the few hundred processes of a dev box). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f !== undefined && Number(f[1]) === ppid) out.push(Number(entry));
  }
  return out;
}

/** Busy and total CPU seconds of the whole machine since boot (all cores, /proc/stat). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}

export interface TrackedProcess {
  readonly pid: number;
  /** Group the CPU is charged to, e.g. "storage-shard". */
  readonly group: string;
}

export interface CpuSnapshot {
  readonly atMs: number;
  readonly perPid: ReadonlyMap<number, number>;
  readonly machine: { busy: number; total: number };
  readonly self: number;
}

export function snapshot(processes: readonly TrackedProcess[]): CpuSnapshot {
  const perPid = new Map<number, number>();
  for (const p of processes) {
    const s = processCpuSeconds(p.pid);
    if (s !== undefined) perPid.set(p.pid, s);
  }
  const self = process.cpuUsage();
  return { atMs: Date.now(), perPid, machine: machineCpuSeconds(), self: (self.user + self.system) / 1e6 };
}

export interface CpuDelta {
  readonly wallSeconds: number;
  /** CPU seconds per group over the interval (a process that exited counts up to its last sample). */
  readonly byGroup: Record<string, number>;
  /** This benchmark process (the load generator and the status poller). */
  readonly benchClient: number;
  /** Everything the machine ran, in CPU seconds, and in cores on average. */
  readonly machineBusy: number;
  readonly machineCores: number;
  /** Machine busy time not accounted to the devnet or this benchmark: other users' load. */
  readonly others: number;
}

export function delta(
  a: CpuSnapshot,
  b: CpuSnapshot,
  processes: readonly TrackedProcess[],
  totalCores: number,
): CpuDelta {
  const byGroup: Record<string, number> = {};
  let ours = 0;
  for (const p of processes) {
    const s0 = a.perPid.get(p.pid);
    const s1 = b.perPid.get(p.pid);
    if (s0 === undefined || s1 === undefined) continue;
    byGroup[p.group] = (byGroup[p.group] ?? 0) + (s1 - s0);
    ours += s1 - s0;
  }
  const benchClient = b.self - a.self;
  ours += benchClient;
  const machineBusy = b.machine.busy - a.machine.busy;
  const wallSeconds = (b.atMs - a.atMs) / 1e3;
  const totalDelta = b.machine.total - a.machine.total;
  return {
    wallSeconds,
    byGroup,
    benchClient,
    machineBusy,
    machineCores: totalDelta > 0 ? (machineBusy / totalDelta) * totalCores : Number.NaN,
    others: Math.max(0, machineBusy - ours),
  };
}
