import { isDeepStrictEqual } from "node:util";
import {
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type KvOptions,
  type NatsConnection,
  type StreamConfig,
  type StreamInfo,
} from "nats";
import { z } from "zod";
import { backoffDelayMs } from "./backoff.ts";
import type { Logger } from "./logger.ts";

/**
 * NATS / JetStream helpers for the publishing lane (small messages only: headers, signatures,
 * certificates, blocks; never blob bytes — see DESIGN.md "two lanes").
 */

export const natsConfigSchema = z.strictObject({
  servers: z.array(z.string()).default(["nats://127.0.0.1:4222"]).describe("NATS server URLs"),
});

/**
 * `nats` of a service on the JetStream publishing lane (attester, consensus shards, sampler):
 * every one of them must agree on the subject root and stream prefix to find each other's streams.
 */
export const laneNatsConfigSchema = natsConfigSchema.extend({
  subjectRoot: z.string().min(1).default("tributary").describe("Root of the publishing-lane subjects"),
  streamPrefix: z.string().min(1).default("TRIBUTARY").describe("Prefix of the publishing-lane stream names"),
  replicas: z.number().int().min(1).max(5).default(1).describe("Stream replicas (1 devnet, 3 cluster)"),
});

export type NatsOptions = {
  servers: string | string[];
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  /** Reconnect backoff: first delay, cap. Full jitter is applied. Defaults 250 ms, 10 s. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /**
   * If the first connect fails: false (default) fails fast so the process restarts visibly;
   * true keeps retrying forever like a reconnect.
   */
  waitOnFirstConnect?: boolean;
  user?: string;
  pass?: string;
  token?: string;
};

export type NatsModules = { logger: Logger };

export type NatsHandle = {
  nc: NatsConnection;
  /** Drains subscriptions and pending publishes, then closes. Safe to call twice. */
  close(): Promise<void>;
};

export async function connectNats(opts: NatsOptions, modules: NatsModules): Promise<NatsHandle> {
  const logger = modules.logger.child("nats");
  const baseMs = opts.reconnectBaseMs ?? 250;
  const maxMs = opts.reconnectMaxMs ?? 10_000;
  // nats.js calls the delay handler without an attempt number; count attempts here and reset
  // when a reconnect succeeds.
  let attempt = 0;
  const nc = await connect({
    servers: opts.servers,
    name: opts.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => backoffDelayMs(attempt++, baseMs, maxMs),
    waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(opts.pass !== undefined ? { pass: opts.pass } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
  });
  logger.info("Connected to NATS", { server: nc.getServer(), name: opts.name });

  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case "disconnect":
          logger.warn("Disconnected from NATS", { server: s.data });
          break;
        case "reconnect":
          attempt = 0;
          logger.info("Reconnected to NATS", { server: s.data });
          break;
        case "reconnecting":
          logger.debug("Reconnecting to NATS", { attempt });
          break;
        case "ldm":
          logger.warn("NATS server entering lame duck mode", { server: s.data });
          break;
        case "error":
          logger.error("NATS async error", { error: String(s.data) });
          break;
        case "staleConnection":
          logger.warn("NATS connection stale");
          break;
        default:
          break;
      }
    }
  })().catch((err: unknown) => logger.error("NATS status loop failed", { err }));

  let closing: Promise<void> | undefined;
  return {
    nc,
    close: () => {
      closing ??= (async () => {
        if (!nc.isClosed()) {
          try {
            await nc.drain();
          } catch (err) {
            // Drain fails if the connection is already closed or closing: fall back to close.
            logger.debug("NATS drain failed, closing", { err });
            await nc.close();
          }
        }
        const err = await nc.closed();
        if (err) logger.warn("NATS closed with error", { err });
        else logger.info("NATS connection closed");
      })();
      return closing;
    },
  };
}

/** True for JetStream "stream not found" (API error 10059). */
function isStreamNotFound(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10059 || e?.message === "stream not found";
}

/** True for "stream name already in use with a different configuration" (API error 10058). */
function isStreamNameInUse(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number } };
  return e?.api_error?.err_code === 10058;
}

export type EnsureStreamConfig = Partial<StreamConfig> & Pick<StreamConfig, "name">;

/**
 * Creates the stream, or updates it when a field we specify differs from the server's.
 * Idempotent: replicas may all call it on start. Fields we do not specify keep the server's
 * value. Immutable fields (storage, retention on older servers) that differ make the server
 * reject the update; that error is thrown, since silently running with another config is worse.
 */
export async function ensureStream(jsm: JetStreamManager, config: EnsureStreamConfig): Promise<StreamInfo> {
  for (let attempt = 0; ; attempt++) {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(config.name);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      try {
        return await jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info and add: go round and compare.
        if (isStreamNameInUse(addErr) && attempt === 0) continue;
        throw addErr;
      }
    }
    if (differsFrom(config, info.config)) {
      return await jsm.streams.update(config.name, { ...info.config, ...config });
    }
    return info;
  }
}

function differsFrom(wanted: object, actual: object): boolean {
  const have = actual as Record<string, unknown>;
  return Object.entries(wanted).some(
    ([key, value]) => value !== undefined && !isDeepStrictEqual(value, have[key]),
  );
}

/**
 * Opens the KV bucket, creating it if needed (nats.js `views.kv` creates or binds), then brings
 * the limits we specify (history, ttl, max bytes, replicas, description) up to date, since
 * `views.kv` alone never updates an existing bucket.
 */
export async function ensureKv(
  js: JetStreamClient,
  bucket: string,
  opts: Partial<KvOptions> = {},
): Promise<KV> {
  const kv = await js.views.kv(bucket, opts);
  const jsm = await js.jetstreamManager();
  const streamName = `KV_${bucket}`;
  const wanted: Partial<StreamConfig> = {};
  if (opts.history !== undefined) wanted.max_msgs_per_subject = opts.history;
  if (opts.ttl !== undefined) wanted.max_age = opts.ttl * 1_000_000; // ms -> ns
  if (opts.max_bytes !== undefined) wanted.max_bytes = opts.max_bytes;
  if (opts.replicas !== undefined) wanted.num_replicas = opts.replicas;
  if (opts.description !== undefined) wanted.description = opts.description;
  const info = await jsm.streams.info(streamName);
  if (differsFrom(wanted, info.config)) {
    await jsm.streams.update(streamName, { ...info.config, ...wanted });
  }
  return kv;
}

/**
 * Waits until JetStream answers on `nc`: a nats-server that was just started accepts
 * connections before its JetStream subsystem is up, and answers JetStream requests with
 * 503 (no responders) meanwhile. Throws a plain-worded error if it never comes up.
 */
export async function waitForJetStream(nc: NatsConnection, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.getAccountInfo();
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== "503" || Date.now() >= deadline) {
        throw new Error(
          code === "503"
            ? `JetStream did not answer within ${timeoutMs} ms (is nats-server running with -js?)`
            : `JetStream check failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
