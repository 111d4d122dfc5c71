import { once } from "node:events";
import { Redis, type RedisOptions } from "ioredis";
import { z } from "zod";
import { backoffDelayMs } from "./backoff.ts";
import type { Logger } from "./logger.ts";

/** Redis: blob status/metadata and per-account rate limits (small values only). */

export const redisConfigSchema = z.strictObject({
  url: z.string().default("redis://127.0.0.1:6379").describe("Redis URL (redis://[user:pass@]host:port/db)"),
});

export type RedisConnectOptions = {
  url: string;
  /** Connection name shown by `CLIENT LIST`. */
  name?: string;
  /** Reconnect backoff: first delay and cap; full jitter. Defaults 100 ms, 5 s. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** How long to wait for the first connection before failing startup. Default 10 s. */
  connectTimeoutMs?: number;
  /** Extra ioredis options, applied last (reply mapping stays ioredis' default, "legacy"). */
  extra?: Omit<RedisOptions, "replyMapping" | "lazyConnect">;
};

export type RedisHandle = {
  redis: Redis;
  /** QUIT (lets in-flight replies arrive), falling back to disconnect. Safe to call twice. */
  close(): Promise<void>;
};

export async function connectRedis(
  opts: RedisConnectOptions,
  modules: { logger: Logger },
): Promise<RedisHandle> {
  const logger = modules.logger.child("redis");
  const baseMs = opts.reconnectBaseMs ?? 100;
  const maxMs = opts.reconnectMaxMs ?? 5000;
  const redis = new Redis(opts.url, {
    // We wait for readiness explicitly below, so startup fails with a clear error instead of
    // commands queueing against a server that is not there.
    lazyConnect: true,
    ...(opts.name !== undefined ? { connectionName: opts.name } : {}),
    // Never give up reconnecting; ioredis passes the attempt number (1-based).
    retryStrategy: (times) => Math.max(1, backoffDelayMs(times - 1, baseMs, maxMs)),
    ...opts.extra,
  });
  let lastError: string | undefined;
  redis.on("error", (err: Error) => {
    // ioredis emits an error per failed attempt; log each distinct one once.
    if (err.message !== lastError) logger.warn("Redis connection error", { error: err.message });
    lastError = err.message;
  });
  redis.on("reconnecting", (delayMs: number) => logger.debug("Reconnecting to Redis", { delayMs }));
  redis.on("ready", () => {
    lastError = undefined;
    logger.info("Redis ready", { url: redactUrl(opts.url) });
  });
  redis.on("end", () => logger.info("Redis connection closed"));

  // ioredis' connect() promise rejects on the first refused attempt, while retryStrategy keeps
  // retrying; so wait for the "ready" event itself, bounded by connectTimeoutMs.
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  // (events.once would reject on the first "error", so listen for "ready" alone.)
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once("ready", onReady);
    redis.connect().catch(() => undefined); // failures are logged by the "error" handler above
  });
  if (!ready) {
    redis.disconnect();
    throw new Error(`Redis not ready after ${timeoutMs} ms: ${lastError ?? "no reply"}`);
  }

  let closing: Promise<void> | undefined;
  return {
    redis,
    close: () => {
      closing ??= (async () => {
        if (redis.status === "end") return;
        const ended = once(redis, "end");
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
        // QUIT's reply arrives before the socket closes; "end" means it is really gone.
        await ended;
      })();
      return closing;
    },
  };
}

/** Drops the password from a URL for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable url)";
  }
}
