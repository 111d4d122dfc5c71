/**
 * The devnet under test: started with `tributary devnet up --fresh --json` (the CLI is the
 * supervisor; SIGINT stops it and everything it started), or attached to one already running
 * (its `<dataDir>/devnet.json` state file names every process). Each process is mapped to the
 * service it runs, so CPU time can be charged per service.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childrenOf, processName, type TrackedProcess } from "./procstat.ts";

const CLI = fileURLToPath(new URL("../../services/cli/src/main.ts", import.meta.url));
/** Service ports the devnet always uses (docs/pipeline.md); a second devnet would collide. */
const FIXED_PORTS = [7100, 7200, 7300, 7400, 7500, 7600];

export interface DevnetShapeFlags {
  readonly storage: number;
  readonly replication: number;
  readonly consensus: number;
  readonly validators: number;
  readonly encoders: number;
}

export interface DevnetProcess extends TrackedProcess {
  readonly name: string;
}

export interface Devnet {
  readonly dataDir: string;
  readonly disperser: string;
  /** Whether this benchmark started it (and so stops it). */
  readonly owned: boolean;
  /** Service processes plus NATS/Redis/the CLI supervisor when the benchmark started them. */
  readonly processes: readonly DevnetProcess[];
  stop(): Promise<void>;
}

interface StateProcess {
  name: string;
  grpcPort: number;
  adminPort: number;
  pid?: number;
}

/** "storage-3" -> "storage-shard", "consensus-1-v0" -> "consensus-shard", "encoder-0" -> "encoder". */
export function serviceOf(name: string): string {
  if (name.startsWith("storage-")) return "storage-shard";
  if (name.startsWith("encoder-")) return "encoder";
  if (/^consensus-\d+-v\d+$/.test(name)) return "consensus-shard";
  return name;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(300, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Waits until the devnet's fixed ports are free (another devnet or test may hold them). */
export async function waitPortsFree(waitMs: number, log: (m: string) => void): Promise<void> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const busy: number[] = [];
    for (const p of FIXED_PORTS) if (await answers(p)) busy.push(p);
    if (busy.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `ports ${busy.join(", ")} are in use (another devnet or test runs on this machine); ` +
          "stop it, or point the benchmark at it with --attach DIR",
      );
    if (!told) log(`waiting for ports ${busy.join(", ")} to be freed by another devnet/test...`);
    told = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function describeInfra(cliPid: number): DevnetProcess[] {
  const out: DevnetProcess[] = [{ name: "devnet-cli", group: "devnet-cli", pid: cliPid }];
  for (const pid of childrenOf(cliPid)) {
    const comm = processName(pid) ?? "";
    if (comm.startsWith("nats-server")) out.push({ name: "nats-server", group: "nats-server", pid });
    else if (comm.startsWith("redis-server")) out.push({ name: "redis-server", group: "redis-server", pid });
  }
  return out;
}

export interface StartOptions {
  readonly dataDir: string;
  readonly shape: DevnetShapeFlags;
  readonly nats: string;
  readonly redis: string;
  readonly timeoutMs: number;
  /** Extra environment for every devnet process (e.g. NODE_OPTIONS=--cpu-prof ...). */
  readonly env: Readonly<Record<string, string>>;
  readonly log: (m: string) => void;
}

export async function startDevnet(opts: StartOptions): Promise<Devnet> {
  mkdirSync(opts.dataDir, { recursive: true });
  const stderrPath = join(opts.dataDir, "devnet-cli.stderr.log");
  const args = [
    CLI,
    "devnet",
    "up",
    "--fresh",
    "--json",
    "--data-dir",
    opts.dataDir,
    "--storage",
    String(opts.shape.storage),
    "--replication",
    String(opts.shape.replication),
    "--consensus",
    String(opts.shape.consensus),
    "--validators",
    String(opts.shape.validators),
    "--encoders",
    String(opts.shape.encoders),
    "--nats",
    opts.nats,
    "--redis",
    opts.redis,
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", openSync(stderrPath, "a")],
    env: { ...process.env, ...opts.env },
  });
  let stdout = "";
  child.stdout!.setEncoding("utf8");
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const state = await new Promise<StateProcess[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`devnet not ready after ${opts.timeoutMs} ms (see ${stderrPath})`)),
        opts.timeoutMs,
      );
      child.stdout!.on("data", (d: string) => {
        stdout += d;
        const line = stdout.split("\n").find((l) => l.startsWith("{"));
        if (line === undefined || !stdout.includes("\n", stdout.indexOf(line))) return;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { processes: StateProcess[] }).processes);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        let tail = "";
        try {
          tail = readFileSync(stderrPath, "utf8").split("\n").slice(-15).join("\n");
        } catch {
          // no log
        }
        reject(new Error(`devnet exited with code ${code} before it was ready:\n${tail}`));
      });
    });
    const processes: DevnetProcess[] = [
      ...state
        .filter((p) => p.pid !== undefined)
        .map((p) => ({ name: p.name, group: serviceOf(p.name), pid: p.pid! })),
      ...describeInfra(child.pid!),
    ];
    return { dataDir: opts.dataDir, disperser: "127.0.0.1:7100", owned: true, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A devnet someone else runs (`tributary devnet up --data-dir DIR`): measured, never stopped. */
export function attachDevnet(dataDir: string): Devnet {
  const file = join(dataDir, "devnet.json");
  if (!existsSync(file)) throw new Error(`no devnet state file ${file}`);
  const state = JSON.parse(readFileSync(file, "utf8")) as {
    pid: number;
    disperser: string;
    processes: StateProcess[];
  };
  const processes: DevnetProcess[] = state.processes
    .filter((p) => p.pid !== undefined)
    .map((p) => ({ name: p.name, group: serviceOf(p.name), pid: p.pid! }));
  return {
    dataDir,
    disperser: state.disperser,
    owned: false,
    processes: [...processes, ...describeInfra(state.pid)],
    stop: async () => undefined,
  };
}
