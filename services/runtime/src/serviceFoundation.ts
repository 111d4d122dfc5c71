/**
 * What every service process opens first, each registered to close in reverse order on
 * shutdown: the admin HTTP endpoint (/metrics, /healthz, /readyz), NATS (ready while
 * connected) and the epoch membership; and Redis for the services that keep state there.
 * One place, so every process answers readiness and shuts down the same way.
 */
import type { Registry } from "prom-client";
import { type AdminServer, type AdminServerOptions, startAdminServer } from "./adminServer.ts";
import type { Closer } from "./lifecycle.ts";
import type { Logger } from "./logger.ts";
import { MembershipView } from "./membership.ts";
import { connectNats, type NatsHandle } from "./nats.ts";
import { connectRedis, type RedisHandle } from "./redis.ts";

export type FoundationModules = {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly signal: AbortSignal;
  readonly addCloser: (closer: Closer) => void;
};

export type FoundationOptions = {
  /** Connection name shown by NATS and Redis (the service or instance id). */
  readonly name: string;
  readonly admin: AdminServerOptions;
  readonly nats: { readonly servers: string[] };
  /** How long to wait for a membership to be published (devnet start-up). */
  readonly membershipWaitMs: number;
};

export type Foundation = {
  readonly admin: AdminServer;
  readonly nats: NatsHandle;
  readonly membership: MembershipView;
};

export async function openFoundation(
  opts: FoundationOptions,
  modules: FoundationModules,
): Promise<Foundation> {
  const { logger, addCloser } = modules;
  const admin = await startAdminServer(opts.admin, { logger, registry: modules.registry });
  addCloser({ name: "admin", close: admin.close });
  const nats = await connectNats({ servers: opts.nats.servers, name: opts.name }, { logger });
  addCloser({ name: "nats", close: nats.close });
  admin.readiness.add("nats", () => !nats.nc.isClosed());
  const membership = await MembershipView.open(nats.nc.jetstream(), {
    waitMs: opts.membershipWaitMs,
    signal: modules.signal,
  });
  addCloser({ name: "membership", close: () => membership.close() });
  return { admin, nats, membership };
}

/** Redis for a service that keeps state there: ready while connected, closed on shutdown. */
export async function openRedis(
  opts: { readonly url: string; readonly name: string },
  modules: {
    readonly logger: Logger;
    readonly admin: AdminServer;
    readonly addCloser: (closer: Closer) => void;
  },
): Promise<RedisHandle> {
  const redis = await connectRedis(opts, { logger: modules.logger });
  modules.addCloser({ name: "redis", close: redis.close });
  modules.admin.readiness.add("redis", () => redis.redis.status === "ready");
  return redis;
}
