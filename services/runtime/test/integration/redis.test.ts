import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { connectRedis, type RedisHandle } from "../../src/redis.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const lines: Record<string, unknown>[] = [];
const capture = new Writable({
  write: (chunk, _enc, cb) => {
    lines.push(JSON.parse(String(chunk)));
    cb();
  },
});
const logger = createLogger({ service: "test", level: "debug", destination: capture });
const key = `rt_${randomBytes(4).toString("hex")}:probe`;

describe("Redis helper", () => {
  let handle: RedisHandle | undefined;

  afterAll(async () => {
    if (handle && handle.redis.status === "ready") await handle.redis.del(key);
    await handle?.close();
  });

  it("connects, waits for ready, runs commands, and quits", async () => {
    handle = await connectRedis({ url: REDIS_URL, name: "runtime-test" }, { logger });
    expect(handle.redis.status).toBe("ready");
    await handle.redis.set(key, "v", "EX", 60);
    expect(await handle.redis.get(key)).toBe("v");
    expect(await handle.redis.client("GETNAME")).toBe("runtime-test");
    expect(lines.some((l) => l.msg === "Redis ready" && l.component === "redis")).toBe(true);
    await handle.redis.del(key);
    await handle.close();
    await handle.close(); // idempotent
    expect(handle.redis.status).toBe("end");
  });

  it("fails startup with a clear error when Redis is unreachable", async () => {
    await expect(
      connectRedis({ url: "redis://127.0.0.1:16389", connectTimeoutMs: 500 }, { logger }),
    ).rejects.toThrow(/Redis not ready after 500 ms: .*ECONNREFUSED/);
  });
});
