/**
 * Starts a real devnet (`tributary devnet up --fresh`) as a child process for e2e tests, with
 * a NATS (JetStream) and a Redis of its own and its data in a temp directory, and stops all of
 * it afterwards. The devnet's state file names every process, so a test can kill one. Extra
 * `args` go to `devnet up` (e.g. `--nats`, `--redis`, `--port-offset` for a second devnet).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = new URL("../../services/cli/src/main.ts", import.meta.url).pathname;

export interface DevnetHandle {
  readonly dataDir: string;
  readonly disperser: string;
  readonly processes: { name: string; grpcPort: number; adminPort: number; pid?: number }[];
  readonly child: ChildProcess;
  stop(): Promise<void>;
  log(name: string): string;
}

export async function startDevnet(args: string[], timeoutMs = 240_000): Promise<DevnetHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-e2e-"));
  const child = spawn(
    process.execPath,
    [CLI, "devnet", "up", "--fresh", "--json", "--data-dir", dataDir, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  // The devnet prints its state (disperser address, processes and ports) as one JSON line when ready.
  type State = Pick<DevnetHandle, "disperser" | "processes">;
  const state = await new Promise<State>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`devnet not ready after ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    child.stdout!.on("data", () => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as State);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited with code ${code} before it was ready:\n${stderr}`));
    });
  });
  return {
    dataDir,
    disperser: state.disperser,
    processes: state.processes,
    child,
    log: (name) => readFileSync(join(dataDir, "logs", `${name}.log`), "utf8"),
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGINT");
        await new Promise((r) => child.once("exit", r));
      }
      // TRIBUTARY_E2E_KEEP=1 keeps the logs and data for a post-mortem.
      if (process.env.TRIBUTARY_E2E_KEEP !== "1") rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
