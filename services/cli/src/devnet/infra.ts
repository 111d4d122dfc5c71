/**
 * NATS (with JetStream) and Redis for the devnet: used as they are when they answer at the
 * configured URLs, otherwise started here with their data under the devnet directory, and
 * stopped again when the devnet stops.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { CliError } from "../cliError.ts";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(url: string, defaultPort: number): HostPort {
  const u = new URL(url.includes("://") ? url : `tcp://${url}`);
  return { host: u.hostname || "127.0.0.1", port: u.port === "" ? defaultPort : Number(u.port) };
}

export function answers({ host, port }: HostPort, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function waitFor(target: HostPort, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null)
      throw new CliError(`${what} exited with code ${child.exitCode} (see its log)`);
    if (await answers(target, 200)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(`${what} did not answer on ${target.host}:${target.port} within 10 s`);
}

function isLocal(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1";
}

export interface Infra {
  /** What was started here (empty when both were already running). */
  readonly started: string[];
  stop(): Promise<void>;
}

export async function ensureInfra(
  natsUrl: string,
  redisUrl: string,
  dataDir: string,
  log: (m: string) => void,
): Promise<Infra> {
  const children: { name: string; child: ChildProcess }[] = [];
  const logs = join(dataDir, "logs");
  await mkdir(logs, { recursive: true });
  const nats = parseHostPort(natsUrl, 4222);
  if (!(await answers(nats))) {
    if (!isLocal(nats.host)) throw new CliError(`NATS does not answer at ${natsUrl}`);
    const store = join(dataDir, "nats");
    await mkdir(store, { recursive: true });
    const child = spawn("nats-server", ["-a", nats.host, "-p", String(nats.port), "-js", "-sd", store], {
      stdio: [
        "ignore",
        openSync(join(logs, "nats-server.log"), "a"),
        openSync(join(logs, "nats-server.log"), "a"),
      ],
    });
    child.once("error", () => undefined);
    children.push({ name: "nats-server", child });
    await waitFor(nats, "nats-server (is it installed? apt-get install nats-server)", child);
    log(`started nats-server with JetStream on ${nats.host}:${nats.port}`);
  }
  const redis = parseHostPort(redisUrl, 6379);
  if (!(await answers(redis))) {
    if (!isLocal(redis.host)) throw new CliError(`Redis does not answer at ${redisUrl}`);
    const child = spawn(
      "redis-server",
      [
        "--bind",
        redis.host,
        "--port",
        String(redis.port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dataDir,
      ],
      {
        stdio: [
          "ignore",
          openSync(join(logs, "redis-server.log"), "a"),
          openSync(join(logs, "redis-server.log"), "a"),
        ],
      },
    );
    child.once("error", () => undefined);
    children.push({ name: "redis-server", child });
    await waitFor(redis, "redis-server (is it installed? apt-get install redis-server)", child);
    log(`started redis-server on ${redis.host}:${redis.port}`);
  }
  return {
    started: children.map((c) => c.name),
    async stop() {
      for (const { child } of children.reverse()) {
        if (child.exitCode !== null) continue;
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    },
  };
}
