import type { Http2SecureServer, Http2Server, ServerHttp2Session } from "node:http2";
import { type ChannelOptions, credentials, Server, ServerCredentials } from "@grpc/grpc-js";
import { z } from "zod";
import type { Logger } from "./logger.ts";

/**
 * gRPC server and client settings for the storage lane (megabyte messages, loopback to LAN).
 *
 * HTTP/2 flow-control windows (measured, DESIGN.md): grpc-js on loopback does ~460 MiB/s of 1 MiB
 * unary calls with Node's default 64 KiB windows and ~1.2 GB/s with 16 MiB windows; client
 * streaming reaches ~3.4 GB/s only when BOTH sides raise their windows.
 *
 * What grpc-js 1.14 supports (read from its source, build/src/transport.js and server.js):
 * - Client: channel option `grpc-node.flow_control_window` (grpc-node PR #2864). It is sent as
 *   SETTINGS_INITIAL_WINDOW_SIZE (per-stream receive window) and applied to the connection window
 *   with `session.setLocalWindowSize()` once the server's SETTINGS arrive. There is no
 *   `grpc.http2.*` window option in grpc-js (those are C-core names and are ignored here).
 * - Server: nothing. server.js never reads `grpc-node.flow_control_window` (support is proposed in
 *   grpc-node PR #3058, open); its http2 server is created with only `maxSessionMemory` and,
 *   optionally, `maxConcurrentStreams`, so a server's receive window stays at 64 KiB and every
 *   64 KiB a client uploads waits for a WINDOW_UPDATE.
 * What we do for the server: wrap the instance's (TypeScript-private) `createHttp2Server` method
 * so each http2 server it creates gets `updateSettings({initialWindowSize})` (public Node API:
 * advertised in the SETTINGS frame of every new session) and, on each `session` event,
 * `session.setLocalWindowSize()` (connection-level window). We also pass
 * `grpc-node.flow_control_window` in the server options, so a grpc-js release that implements it
 * natively gets the same value. If a grpc-js upgrade removes the method, we log a warning and run
 * with default windows (slower, still correct); the integration test checks the SETTINGS on the
 * wire, so the upgrade PR sees it fail.
 */

const MiB = 1024 * 1024;

export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 64 * MiB;
export const DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES = 16 * MiB;
/** HTTP/2 caps windows at 2^31-1 (RFC 9113 section 6.9.1). */
const MAX_WINDOW_BYTES = 2 ** 31 - 1;

export const grpcServerConfigSchema = z.strictObject({
  host: z.string().default("0.0.0.0").describe("gRPC listen address"),
  port: z.number().int().min(0).max(65535).describe("gRPC port; 0 picks a free port"),
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_GRPC_MAX_MESSAGE_BYTES)
    .describe("Largest gRPC message sent or received, in bytes"),
  flowControlWindowBytes: z
    .number()
    .int()
    .min(65535)
    .max(MAX_WINDOW_BYTES)
    .default(DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES)
    .describe("HTTP/2 stream and connection receive window, in bytes"),
  keepaliveTimeMs: z.number().int().positive().default(30_000).describe("Interval between keepalive pings"),
  keepaliveTimeoutMs: z.number().int().positive().default(10_000).describe("Ping ack wait before closing"),
  shutdownTimeoutMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe("Graceful shutdown wait for in-flight calls before cancelling them"),
});

export type GrpcServerOptions = {
  maxMessageBytes?: number;
  flowControlWindowBytes?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  /** Per-connection stream limit (bounds memory: window x streams). Unset: unlimited. */
  maxConcurrentStreams?: number;
  /** Close connections after this age so clients rebalance across new replicas. Unset: never. */
  maxConnectionAgeMs?: number;
  /** Extra raw grpc-js options, applied last. */
  extra?: ChannelOptions;
};

export type GrpcServerModules = { logger: Logger };

export type GrpcServer = {
  /** The grpc-js server: add services to it before or after bind. */
  server: Server;
  /** Binds `host:port` (port 0: any free port); resolves to the bound port. */
  bind(host: string, port: number, creds?: ServerCredentials): Promise<number>;
  /** Stops accepting calls, waits up to `timeoutMs` for in-flight calls, then cancels them. */
  shutdown(timeoutMs: number): Promise<void>;
};

export function grpcServerOptions(opts: GrpcServerOptions = {}): ChannelOptions {
  const max = opts.maxMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES;
  const options: ChannelOptions = {
    "grpc.max_send_message_length": max,
    "grpc.max_receive_message_length": max,
    "grpc-node.flow_control_window": opts.flowControlWindowBytes ?? DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES,
    // grpc-js servers ping every keepalive_time_ms whether or not calls are active, and do not
    // police client pings (no min-ping-interval / strike policy), so clients may ping idle.
    "grpc.keepalive_time_ms": opts.keepaliveTimeMs ?? 30_000,
    "grpc.keepalive_timeout_ms": opts.keepaliveTimeoutMs ?? 10_000,
  };
  if (opts.maxConcurrentStreams !== undefined)
    options["grpc.max_concurrent_streams"] = opts.maxConcurrentStreams;
  if (opts.maxConnectionAgeMs !== undefined) options["grpc.max_connection_age_ms"] = opts.maxConnectionAgeMs;
  return { ...options, ...opts.extra };
}

export function createGrpcServer(opts: GrpcServerOptions, modules: GrpcServerModules): GrpcServer {
  const logger = modules.logger.child("grpc");
  const server = new Server(grpcServerOptions(opts));
  const window = opts.flowControlWindowBytes ?? DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES;
  if (!raiseServerWindows(server, window)) {
    logger.warn("Cannot raise HTTP/2 windows on this grpc-js version; server uploads will be slower", {
      windowBytes: window,
    });
  }

  return {
    server,
    bind: (host, port, creds = ServerCredentials.createInsecure()) =>
      new Promise<number>((resolve, reject) => {
        const address = host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(address, creds, (err, boundPort) => {
          if (err) return reject(err);
          logger.info("gRPC server listening", { host, port: boundPort });
          resolve(boundPort);
        });
      }),
    shutdown: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn("gRPC graceful shutdown timed out, cancelling in-flight calls", { timeoutMs });
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown((err) => {
          clearTimeout(timer);
          if (err) {
            logger.warn("gRPC graceful shutdown failed, forcing", { err });
            server.forceShutdown();
          }
          resolve();
        });
      }),
  };
}

type CreateHttp2Server = (credentials: unknown) => Http2Server | Http2SecureServer;

/** See the module comment. Returns false if this grpc-js has no hook to attach to. */
export function raiseServerWindows(server: Server, windowBytes: number): boolean {
  const internal = server as unknown as { createHttp2Server?: CreateHttp2Server };
  const original = internal.createHttp2Server;
  if (typeof original !== "function") return false;
  internal.createHttp2Server = function (this: Server, creds: unknown) {
    const http2Server = original.call(this, creds);
    http2Server.updateSettings({ initialWindowSize: windowBytes });
    http2Server.on("session", (session: ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        // Session already closing; nothing to tune.
      }
    });
    return http2Server;
  };
  return true;
}

export type GrpcClientOptions = {
  maxMessageBytes?: number;
  flowControlWindowBytes?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  /** Reconnect backoff bounds. */
  initialReconnectBackoffMs?: number;
  maxReconnectBackoffMs?: number;
  extra?: ChannelOptions;
};

/** Channel options for a client: raised windows (natively supported on the client side). */
export function grpcClientOptions(opts: GrpcClientOptions = {}): ChannelOptions {
  const max = opts.maxMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES;
  return {
    "grpc.max_send_message_length": max,
    "grpc.max_receive_message_length": max,
    "grpc-node.flow_control_window": opts.flowControlWindowBytes ?? DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES,
    "grpc.keepalive_time_ms": opts.keepaliveTimeMs ?? 30_000,
    "grpc.keepalive_timeout_ms": opts.keepaliveTimeoutMs ?? 10_000,
    // Keep idle connections to storage shards warm and detect dead peers between bursts.
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.initial_reconnect_backoff_ms": opts.initialReconnectBackoffMs ?? 200,
    "grpc.max_reconnect_backoff_ms": opts.maxReconnectBackoffMs ?? 10_000,
    ...opts.extra,
  };
}

/** Plaintext channel credentials (cluster-internal traffic; TLS, if any, is the mesh's job). */
export const insecureChannelCredentials = (): ReturnType<typeof credentials.createInsecure> =>
  credentials.createInsecure();

/** A call deadline `ms` from now: `client.getBlob(req, {deadline: deadlineIn(5000)}, cb)`. */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}
