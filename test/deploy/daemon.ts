/**
 * A server the deploy tests start (etcd, kube-apiserver, Prometheus): spawned with its output in
 * a log file, polled until it answers, and stopped (SIGTERM, then SIGKILL) by its pid only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export type Daemon = {
  readonly name: string;
  readonly child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
};

export function startDaemon(name: string, command: string, args: readonly string[], logFile: string): Daemon {
  const fd = openSync(logFile, "a");
  const child = spawn(command, [...args], { stdio: ["ignore", fd, fd] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    child,
    log: () => readFileSync(logFile, "utf8"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Polls `ready` until it returns true; fails early, with the log's tail, if the daemon exits. */
export async function waitUntil(
  daemon: Daemon,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null) {
      throw new Error(`${daemon.name} exited with ${daemon.child.exitCode}:\n${daemon.log().slice(-3000)}`);
    }
    if (await ready().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${daemon.name} not ready after ${timeoutMs} ms:\n${daemon.log().slice(-3000)}`);
}
