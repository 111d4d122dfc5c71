/**
 * Summarises the V8 CPU profiles written by `bench:pipeline --profile DIR` (node --cpu-prof in
 * every devnet process): top self-time functions per service.
 *
 *   node benchmarks/pipeline/profileSummary.ts DIR [--top 12]
 *
 * Profiles are named CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile; DIR/pids.json (written by the
 * benchmark) maps pids to process names and services. Profiles of the same service are merged.
 * Time in native code (addon, crypto, fs) is attributed to the JS function that called it,
 * "(garbage collector)" and "(program)" are V8's own buckets.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { fmt, renderTable } from "../lib/table.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function frameName(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const fn = functionName === "" ? "(anonymous)" : functionName;
  if (url === "") return fn;
  const short = url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
    .replace(/^.*\/services\//, "")
    .replace(/^.*\/proto\/src\//, "proto/");
  return `${fn} ${short}:${lineNumber + 1}`;
}

/** Self time in ms per frame name, and the profile's total sampled time. */
function selfTimes(profile: CpuProfile): { total: number; byFrame: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFrame = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = nodes.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i] ?? 0) / 1e3;
    if (n === undefined) continue;
    const name = frameName(n);
    byFrame.set(name, (byFrame.get(name) ?? 0) + dt);
    total += dt;
  }
  return { total, byFrame };
}

interface ServiceProfile {
  total: number;
  byFrame: Map<string, number>;
  processes: string[];
}

function main(): void {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { top: { type: "string", default: "12" } },
  });
  const dir = positionals[0];
  if (dir === undefined) {
    console.error("usage: node benchmarks/pipeline/profileSummary.ts DIR [--top N]");
    process.exit(2);
  }
  const top = Number(values.top);
  const pidsFile = join(dir, "pids.json");
  const names = new Map<number, { name: string; service: string }>();
  if (existsSync(pidsFile)) {
    for (const p of JSON.parse(readFileSync(pidsFile, "utf8")) as {
      pid: number;
      name: string;
      service: string;
    }[])
      names.set(p.pid, p);
  }
  const services = new Map<string, ServiceProfile>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const pid = Number(basename(file).split(".")[3]);
    const who = names.get(pid) ?? { name: `pid ${pid}`, service: `pid ${pid}` };
    const { total, byFrame } = selfTimes(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile);
    const agg: ServiceProfile = services.get(who.service) ?? {
      total: 0,
      byFrame: new Map<string, number>(),
      processes: [],
    };
    agg.total += total;
    agg.processes.push(who.name);
    for (const [k, v] of byFrame) agg.byFrame.set(k, (agg.byFrame.get(k) ?? 0) + v);
    services.set(who.service, agg);
  }
  const sorted = [...services.entries()].sort((a, b) => busy(b[1]) - busy(a[1]));
  for (const [service, agg] of sorted) {
    const idle = agg.byFrame.get("(idle)") ?? 0;
    console.log(
      `\n== ${service} (${agg.processes.join(", ")}): ${fmt((agg.total - idle) / 1e3)} s busy of ${fmt(agg.total / 1e3)} s sampled`,
    );
    const rows = [...agg.byFrame.entries()]
      .filter(([k]) => k !== "(idle)")
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [fmt(v / 1e3), `${fmt((100 * v) / Math.max(1, agg.total - idle))}%`, k]);
    console.log(
      renderTable(
        [{ header: "self s", right: true }, { header: "busy%", right: true }, { header: "function" }],
        rows,
      ),
    );
  }
}

function busy(agg: { total: number; byFrame: Map<string, number> }): number {
  return agg.total - (agg.byFrame.get("(idle)") ?? 0);
}

main();
