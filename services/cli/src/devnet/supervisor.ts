/**
 * Runs the devnet's service processes: one child per ProcessSpec, its output appended to
 * `<dataDir>/logs/<name>.log`, readiness from its /readyz, and an orderly stop (SIGTERM in
 * reverse start order, SIGKILL after a grace period).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SERVICE_NODE_FLAGS } from "@tributary/runtime";
import { CliError } from "../cliError.ts";
import type { ProcessSpec } from "./topology.ts";

const SERVICES_DIR = fileURLToPath(new URL("../../../", import.meta.url));

export interface RunningProcess {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
}

export function startProcess(spec: ProcessSpec, logDir: string): RunningProcess {
  const logFd = openSync(join(logDir, `${spec.name}.log`), "a");
  const main = join(SERVICES_DIR, spec.service, "src", "main.ts");
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, main], {
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", logFd, logFd],
  });
  return { spec, child };
}

async function ready(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function waitReady(p: RunningProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) {
      throw new CliError(`${p.spec.name} exited with code ${p.child.exitCode} during start (see its log)`);
    }
    if (await ready(p.spec.adminPort)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new CliError(
    `${p.spec.name} not ready after ${timeoutMs} ms (http://127.0.0.1:${p.spec.adminPort}/readyz)`,
  );
}

export async function stopAll(processes: readonly RunningProcess[], graceMs = 10_000): Promise<void> {
  const alive = [...processes]
    .reverse()
    .filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  await Promise.all(
    alive.map(
      (p) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
          p.child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          p.child.kill("SIGTERM");
        }),
    ),
  );
}
