/**
 * `tributary devnet up|down`: the whole cluster as local processes (docs/pipeline.md). `up`
 * stays in the foreground as the supervisor; Ctrl-C (or `devnet down` from another shell)
 * stops every service, then NATS and Redis if it started them.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  membershipToJson,
  openMembershipBucket,
  publishMembership,
  waitForJetStream,
} from "@tributary/runtime";
import { Redis } from "ioredis";
import { connect, type NatsConnection } from "nats";
import { CliError } from "../cliError.ts";
import { ensureInfra } from "../devnet/infra.ts";
import { devnetMembership, samplerPublicKeyHex } from "../devnet/keys.ts";
import { type RunningProcess, startProcess, stopAll, waitReady } from "../devnet/supervisor.ts";
import { type DevnetShape, devnetProcesses, disperserAddress } from "../devnet/topology.ts";
import type { Output } from "../output.ts";

export interface DevnetOptions {
  readonly dataDir: string;
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly shape: DevnetShape;
  /** Added to every service port of the port plan (docs/pipeline.md), for a second devnet. */
  readonly portOffset: number;
  /** Delete the publishing-lane state (streams, KV, Redis keys) left by earlier devnets first. */
  readonly fresh: boolean;
}

const STATE_FILE = "devnet.json";

/** Removes what earlier devnets left on a shared NATS and Redis. */
async function purgeState(nc: NatsConnection, redisUrl: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for await (const s of jsm.streams.list()) {
    const name = s.config.name;
    if (name.startsWith("TRIBUTARY_") || name.startsWith("KV_tributary_")) await jsm.streams.delete(name);
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", "tributary:*", "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}

/** Publishes the devnet's membership: the current epoch again if unchanged, else a new one. */
async function publishDevnetEpoch(
  nc: NatsConnection,
  dataDir: string,
  shape: DevnetShape,
  portOffset: number,
): Promise<number> {
  const kv = await openMembershipBucket(nc.jetstream());
  const current = await kv.get("current");
  const currentEpoch =
    current !== null && current.value.length > 0
      ? (JSON.parse(new TextDecoder().decode(current.value)) as { epoch: number }).epoch
      : 0;
  if (currentEpoch > 0) {
    const same = await devnetMembership(dataDir, shape, currentEpoch, portOffset);
    if (JSON.stringify(membershipToJson(same)) === new TextDecoder().decode(current!.value))
      return currentEpoch;
  }
  const next = await devnetMembership(dataDir, shape, currentEpoch + 1, portOffset);
  await publishMembership(kv, next);
  return next.epoch;
}

export async function devnetUp(opts: DevnetOptions, out: Output): Promise<void> {
  const dataDir = resolve(opts.dataDir);
  const logDir = join(dataDir, "logs");
  await mkdir(logDir, { recursive: true });
  const stateFile = join(dataDir, STATE_FILE);
  if (existsSync(stateFile)) {
    const { pid } = JSON.parse(await readFile(stateFile, "utf8")) as { pid: number };
    if (isAlive(pid))
      throw new CliError(
        `a devnet already runs on ${dataDir} (pid ${pid}); stop it with: tributary devnet down`,
      );
  }
  const infra = await ensureInfra(opts.natsUrl, opts.redisUrl, dataDir, (m) => out.note(m));
  const processes: RunningProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    stopping ??= (async () => {
      out.note(`stopping devnet (${why})...`);
      await stopAll(processes);
      await infra.stop();
      await rm(stateFile, { force: true });
      out.note("devnet stopped");
    })();
    return stopping;
  };
  process.once("SIGINT", () => void stop("SIGINT").then(() => process.exit(0)));
  process.once("SIGTERM", () => void stop("SIGTERM").then(() => process.exit(0)));
  try {
    const nc = await connect({ servers: opts.natsUrl });
    try {
      await waitForJetStream(nc, 15_000).catch((err: Error) => {
        throw new CliError(`NATS at ${opts.natsUrl}: ${err.message}`);
      });
      if (opts.fresh) await purgeState(nc, opts.redisUrl);
      const epoch = await publishDevnetEpoch(nc, dataDir, opts.shape, opts.portOffset);
      out.note(
        `epoch ${epoch}: ${opts.shape.storageShards} storage shards (r=${opts.shape.replication}), ${opts.shape.consensusShards} consensus shards x ${opts.shape.validatorsPerShard} validators`,
      );
    } finally {
      await nc.close();
    }
    out.note(
      "unauthenticated dispersal is enabled on this devnet (signed dispersal works too: tributary disperse FILE --key KEYFILE)",
    );
    const specs = devnetProcesses(
      opts.shape,
      { nats: opts.natsUrl, redis: opts.redisUrl },
      dataDir,
      await samplerPublicKeyHex(dataDir),
      opts.portOffset,
    );
    for (const spec of specs) {
      const p = startProcess(spec, logDir);
      processes.push(p);
      p.child.once("exit", (code, signal) => {
        if (stopping === undefined)
          out.note(
            `${spec.name} exited (${signal ?? `code ${code}`}); see ${join(logDir, `${spec.name}.log`)}`,
          );
      });
    }
    await Promise.all(processes.map((p) => waitReady(p, 60_000)));
    const state = {
      pid: process.pid,
      disperser: disperserAddress(opts.portOffset),
      nats: opts.natsUrl,
      redis: opts.redisUrl,
      startedInfra: infra.started,
      processes: specs.map((s) => ({
        name: s.name,
        grpcPort: s.grpcPort,
        adminPort: s.adminPort,
        pid: processes.find((p) => p.spec === s)?.child.pid,
      })),
    };
    await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    out.result(
      { ready: true, dataDir, ...state },
      [
        `devnet ready: disperser on ${state.disperser}, ${specs.length} processes, logs in ${logDir}`,
        ...specs.map(
          (s) =>
            `  ${s.name.padEnd(22)} grpc :${s.grpcPort}  metrics http://127.0.0.1:${s.adminPort}/metrics`,
        ),
        "Ctrl-C (or `tributary devnet down`) stops it.",
      ].join("\n"),
    );
    await new Promise<never>(() => undefined);
  } catch (err) {
    await stop("start failed");
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function devnetDown(dataDir: string, out: Output): Promise<void> {
  const stateFile = join(resolve(dataDir), STATE_FILE);
  if (!existsSync(stateFile)) throw new CliError(`no devnet runs on ${resolve(dataDir)}`);
  const { pid } = JSON.parse(await readFile(stateFile, "utf8")) as { pid: number };
  if (!isAlive(pid)) {
    await rm(stateFile, { force: true });
    out.result({ stopped: false, pid }, `devnet (pid ${pid}) was not running; state cleaned up`);
    return;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) throw new CliError(`devnet (pid ${pid}) did not stop within 30 s`);
  out.result({ stopped: true, pid }, `devnet stopped (pid ${pid})`);
}
