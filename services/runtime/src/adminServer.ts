import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { z } from "zod";
import type { Logger } from "./logger.ts";
import { withTimeout } from "./timeout.ts";

/**
 * The admin endpoint every service exposes (Kubernetes probes and Prometheus scrapes):
 * - `GET /metrics`  Prometheus text format from the service's registry;
 * - `GET /healthz`  200 while the process is alive (liveness: a wedged event loop fails it);
 * - `GET /readyz`   200 when every registered readiness check passes, else 503 with JSON naming
 *                   the failing checks. No checks registered counts as ready.
 * Kept apart from the gRPC port so probes and scrapes never queue behind bulk transfers.
 */

export const adminConfigSchema = z.strictObject({
  host: z.string().default("0.0.0.0").describe("Admin HTTP listen address (/metrics, /healthz, /readyz)"),
  port: z.number().int().min(0).max(65535).default(9090).describe("Admin HTTP port; 0 picks a free port"),
});

export type AdminServerOptions = {
  host?: string;
  /** 0 picks a free port; the bound one is in the result. */
  port: number;
  /** A check slower than this counts as failing. Default 2000 ms. */
  checkTimeoutMs?: number;
};

export type AdminServerModules = {
  logger: Logger;
  registry: Registry;
  readiness?: ReadinessChecks;
};

/** A readiness check returns true/resolves when ready; false, a throw or a timeout means not ready. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export type ReadinessResult = { ready: boolean; checks: { name: string; ok: boolean; error?: string }[] };

/** Named readiness checks, registered by components as they start (e.g. "nats", "redis"). */
export class ReadinessChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`Readiness check "${name}" already registered`);
    this.checks.set(name, check);
  }

  remove(name: string): void {
    this.checks.delete(name);
  }

  async run(timeoutMs: number): Promise<ReadinessResult> {
    const checks = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          const ok = await withTimeout(Promise.resolve().then(check), timeoutMs);
          return ok ? { name, ok } : { name, ok, error: "check returned false" };
        } catch (e) {
          return { name, ok: false, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    return { ready: checks.every((c) => c.ok), checks };
  }
}

export type AdminServer = {
  /** Bound address, e.g. host "127.0.0.1", port 41234, url "http://127.0.0.1:41234". */
  host: string;
  port: number;
  url: string;
  readiness: ReadinessChecks;
  close(): Promise<void>;
};

export async function startAdminServer(
  opts: AdminServerOptions,
  modules: AdminServerModules,
): Promise<AdminServer> {
  const { registry } = modules;
  const logger = modules.logger.child("admin");
  const readiness = modules.readiness ?? new ReadinessChecks();
  const checkTimeoutMs = opts.checkTimeoutMs ?? 2000;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, "text/plain", "method not allowed\n", { allow: "GET, HEAD" });
    }
    switch (path) {
      case "/metrics":
        return send(res, 200, registry.contentType, await registry.metrics());
      case "/healthz":
        return send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
      case "/readyz": {
        const result = await readiness.run(checkTimeoutMs);
        const failing = result.checks.filter((c) => !c.ok);
        const body = result.ready
          ? { status: "ready", checks: result.checks.map((c) => c.name) }
          : { status: "not ready", failing };
        return send(res, result.ready ? 200 : 503, "application/json", JSON.stringify(body));
      }
      default:
        return send(res, 404, "text/plain", "not found\n");
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error("Admin request failed", { url: req.url, err });
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
      else res.destroy();
    });
  });
  // Probes use short-lived connections; do not let idle keep-alive sockets delay shutdown.
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  logger.info("Admin server listening", { host: address.address, port: address.port });

  return {
    host: address.address,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    readiness,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
