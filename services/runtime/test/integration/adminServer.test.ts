import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminServer, startAdminServer } from "../../src/adminServer.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";

const silent = new Writable({ write: (_chunk, _enc, cb) => cb() });

describe("admin HTTP server", () => {
  let admin: AdminServer;
  let natsUp = true;

  beforeAll(async () => {
    const metrics = createMetrics({ service: "disperser" });
    metrics.counter({ name: "tributary_disperser_blobs_received_total", help: "Blobs received" }).inc(3);
    admin = await startAdminServer(
      { host: "127.0.0.1", port: 0, checkTimeoutMs: 200 },
      { logger: createLogger({ service: "disperser", destination: silent }), registry: metrics.registry },
    );
  });
  afterAll(() => admin.close());

  it("binds port 0 and reports the bound address", () => {
    expect(admin.port).toBeGreaterThan(0);
    expect(admin.url).toBe(`http://127.0.0.1:${admin.port}`);
  });

  it("serves /metrics in Prometheus text format", async () => {
    const res = await fetch(`${admin.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE tributary_disperser_blobs_received_total counter");
    expect(text).toContain("tributary_disperser_blobs_received_total 3");
    expect(text).toContain("tributary_disperser_nodejs_eventloop_lag_seconds");
  });

  it("serves /healthz", async () => {
    const res = await fetch(`${admin.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it("serves /readyz: 200 when all checks pass, 503 naming the failing ones", async () => {
    expect((await fetch(`${admin.url}/readyz`)).status).toBe(200);
    admin.readiness.add("nats", () => natsUp);
    admin.readiness.add("redis", async () => true);
    admin.readiness.add("slow", () => new Promise<boolean>((r) => setTimeout(() => r(true), 50)));
    const ok = await fetch(`${admin.url}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ready", checks: ["nats", "redis", "slow"] });

    natsUp = false;
    admin.readiness.add("disk", () => {
      throw new Error("disk full");
    });
    admin.readiness.add("hung", () => new Promise<boolean>(() => {}));
    const bad = await fetch(`${admin.url}/readyz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toEqual({
      status: "not ready",
      failing: [
        { name: "nats", ok: false, error: "check returned false" },
        { name: "disk", ok: false, error: "disk full" },
        { name: "hung", ok: false, error: "timed out after 200 ms" },
      ],
    });
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    expect((await fetch(`${admin.url}/nope`)).status).toBe(404);
    expect((await fetch(`${admin.url}/metrics`, { method: "POST" })).status).toBe(405);
  });
});
