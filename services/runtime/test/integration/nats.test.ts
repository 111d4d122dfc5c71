import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Writable } from "node:stream";
import type { JetStreamManager } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { connectNats, ensureKv, ensureStream, type NatsHandle } from "../../src/nats.ts";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const lines: Record<string, unknown>[] = [];
const capture = new Writable({
  write: (chunk, _enc, cb) => {
    lines.push(JSON.parse(String(chunk)));
    cb();
  },
});
const logger = createLogger({ service: "test", level: "debug", destination: capture });

// Unique names so concurrent runs and other suites never collide; removed in afterAll.
const prefix = `rt_${randomBytes(4).toString("hex")}`;
const streamName = `${prefix}_BLOCKS`;
const bucket = `${prefix}_epochs`;

describe("NATS helpers", () => {
  let handle: NatsHandle;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    handle = await connectNats({ servers: NATS_URL, name: `runtime-test-${prefix}` }, { logger });
    jsm = await handle.nc.jetstreamManager();
  });

  afterAll(async () => {
    await jsm?.streams.delete(streamName).catch(() => undefined);
    await jsm?.streams.delete(`KV_${bucket}`).catch(() => undefined);
    await handle?.close();
  });

  it("connects and logs it", () => {
    expect(handle.nc.isClosed()).toBe(false);
    expect(lines.some((l) => l.msg === "Connected to NATS" && l.component === "nats")).toBe(true);
  });

  it("ensureStream creates, is idempotent, and updates changed fields", async () => {
    const config = { name: streamName, subjects: [`${prefix}.blocks.>`], max_msgs: 1000 };
    const created = await ensureStream(jsm, config);
    expect(created.config.subjects).toEqual([`${prefix}.blocks.>`]);
    const createdAt = created.created;

    const again = await ensureStream(jsm, config);
    expect(again.created).toBe(createdAt);
    expect(again.config.max_msgs).toBe(1000);

    const updated = await ensureStream(jsm, { ...config, max_msgs: 2000 });
    expect(updated.config.max_msgs).toBe(2000);
    expect(updated.config.subjects).toEqual([`${prefix}.blocks.>`]);

    // Concurrent callers (several replicas starting at once) all succeed.
    const racers = await Promise.all([1, 2, 3].map(() => ensureStream(jsm, { ...config, max_msgs: 2000 })));
    expect(racers.every((i) => i.config.max_msgs === 2000)).toBe(true);
  });

  it("ensureKv creates the bucket, then updates its limits", async () => {
    const kv = await ensureKv(handle.nc.jetstream(), bucket, { history: 1 });
    await kv.put("epoch", new TextEncoder().encode("1"));
    expect(new TextDecoder().decode((await kv.get("epoch"))?.value)).toBe("1");
    await ensureKv(handle.nc.jetstream(), bucket, { history: 5 });
    expect((await jsm.streams.info(`KV_${bucket}`)).config.max_msgs_per_subject).toBe(5);
    const kv2 = await ensureKv(handle.nc.jetstream(), bucket, { history: 5 });
    expect(new TextDecoder().decode((await kv2.get("epoch"))?.value)).toBe("1");
  });

  it("fails fast when no server is reachable on first connect", async () => {
    await expect(
      connectNats({ servers: "nats://127.0.0.1:14229", name: "unreachable" }, { logger }),
    ).rejects.toThrow();
  });
});

describe("NATS reconnect", () => {
  // A port nats-server picks (-p -1) and keeps for the restart: a fixed one collided with other
  // NATS servers on the machine (e.g. a benchmark's devnet), and the client then never lost its
  // connection.
  let port = -1;
  let server: ChildProcess | undefined;

  const startServer = async () => {
    server = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    for await (const chunk of server.stderr!) {
      log += String(chunk);
      if (log.includes("Server is ready")) break;
    }
    const listening = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
    if (!log.includes("Server is ready") || listening === null)
      throw new Error(`nats-server did not start:\n${log}`);
    port = Number(listening[1]);
  };
  const stopServer = async () => {
    if (!server || server.exitCode !== null) return;
    const exited = once(server, "exit");
    server.kill("SIGKILL");
    await exited;
  };

  afterAll(stopServer);

  it("logs the disconnect, keeps retrying with backoff, and logs the reconnect", async () => {
    await startServer();
    const handle = await connectNats(
      {
        servers: `nats://127.0.0.1:${port}`,
        name: "reconnect-test",
        reconnectBaseMs: 50,
        reconnectMaxMs: 200,
      },
      { logger },
    );
    try {
      await stopServer();
      await waitFor(() => lines.some((l) => l.msg === "Disconnected from NATS"));
      await new Promise((r) => setTimeout(r, 500)); // several failed attempts
      await startServer();
      await waitFor(() => lines.some((l) => l.msg === "Reconnected to NATS"));
      await handle.nc.flush();
    } finally {
      await handle.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
