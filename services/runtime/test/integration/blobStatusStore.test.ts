import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BLOB_STATUSES,
  type BlobStatusName,
  BlobStatusStore,
  blobStatusKey,
  createMetrics,
  createStatusTransitionsCounter,
} from "../../src/index.ts";

describe("BlobStatusStore (real Redis)", () => {
  let redis: Redis;
  let store: BlobStatusStore;
  const keys: Uint8Array[] = [];
  const newKey = () => {
    const k = randomBytes(32);
    keys.push(k);
    return k;
  };

  beforeAll(() => {
    redis = new Redis("redis://127.0.0.1:6379");
    store = new BlobStatusStore(redis);
  });
  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys.map(blobStatusKey));
    await redis.quit();
  });

  it("moves forward with fields and timestamps, never backwards", async () => {
    const key = newKey();
    expect(await store.transition(key, "QUEUED", {}, 1)).toBe(true);
    expect(await store.transition(key, "CERTIFIED", { certificate: "abc" }, 3)).toBe(true);
    expect(await store.transition(key, "ENCODED", { header: "late" }, 4)).toBe(false);
    expect(await store.transition(key, "CERTIFIED", {}, 5)).toBe(false);
    const rec = await store.get(key);
    expect(rec?.status).toBe("CERTIFIED");
    expect(rec?.fields.certificate).toBe("abc");
    expect(rec?.fields.header).toBeUndefined();
    expect(rec?.fields["t.QUEUED"]).toBe("1");
    expect(rec?.fields["t.CERTIFIED"]).toBe("3");
  });

  it("counts the transitions it applied, by status, and not the refused ones", async () => {
    const metrics = createMetrics({ service: "attester", defaultMetrics: false });
    const transitions = createStatusTransitionsCounter(metrics);
    const counted = new BlobStatusStore(redis, { transitions });
    const key = newKey();
    expect(await counted.transition(key, "ENCODED")).toBe(true);
    expect(await counted.transition(key, "CERTIFIED")).toBe(true);
    expect(await counted.transition(key, "ENCODED")).toBe(false);
    const values = (await transitions.get()).values.map((v) => [v.labels.status, v.value]);
    expect(values).toEqual([
      ["ENCODED", 1],
      ["CERTIFIED", 1],
    ]);
    expect(await metrics.registry.metrics()).toContain(
      'tributary_attester_blob_status_transitions_total{status="CERTIFIED"} 1',
    );
  });

  it("terminal statuses are final, and FAILED never replaces FINALIZED", async () => {
    const failed = newKey();
    await store.transition(failed, "ENCODED");
    expect(await store.transition(failed, "FAILED", { failureCode: "X" })).toBe(true);
    expect(await store.transition(failed, "FINALIZED")).toBe(false);
    expect((await store.get(failed))?.status).toBe("FAILED");
    const finalized = newKey();
    await store.transition(finalized, "FINALIZED");
    expect(await store.transition(finalized, "FAILED")).toBe(false);
    expect(await store.transition(finalized, "EXPIRED")).toBe(true);
  });

  it("concurrent writers in random order end at the highest status", async () => {
    const key = newKey();
    const order = [...BLOB_STATUSES.slice(0, 5)].sort(() => Math.random() - 0.5) as BlobStatusName[];
    await Promise.all(order.map((s) => store.transition(key, s)));
    expect((await store.get(key))?.status).toBe("FINALIZED");
    expect(await store.get(newKey())).toBeUndefined();
  });
});
