import { describe, expect, it } from "vitest";
import { Batcher } from "../../src/batcher.ts";

describe("Batcher", () => {
  it("cuts a batch when it reaches maxBatchBlobs", () => {
    const b = new Batcher<number, string>({ maxBatchBlobs: 3, maxBatchDelayMs: 200 });
    expect(b.add(1, "a", 1, "m1", 0)).toBeUndefined();
    expect(b.add(1, "b", 2, "m2", 10)).toBeUndefined();
    const batch = b.add(1, "c", 3, "m3", 20);
    expect(batch?.epoch).toBe(1);
    expect(batch?.entries.map((e) => e.keyHex)).toEqual(["a", "b", "c"]);
    expect(b.size).toBe(0);
    expect(b.nextDueAtMs()).toBeUndefined();
  });

  it("cuts a batch when its oldest blob has waited maxBatchDelayMs", () => {
    const b = new Batcher<number, string>({ maxBatchBlobs: 256, maxBatchDelayMs: 200 });
    b.add(1, "a", 1, "m1", 1000);
    b.add(1, "b", 2, "m2", 1150);
    expect(b.nextDueAtMs()).toBe(1200);
    expect(b.takeDue(1199)).toEqual([]);
    const due = b.takeDue(1200);
    expect(due).toHaveLength(1);
    expect(due[0]!.entries.map((e) => e.keyHex)).toEqual(["a", "b"]);
  });

  it("groups blobs by epoch, each group with its own clock", () => {
    const b = new Batcher<number, string>({ maxBatchBlobs: 2, maxBatchDelayMs: 100 });
    b.add(1, "a", 1, "m1", 0);
    b.add(2, "b", 2, "m2", 50);
    expect(b.add(2, "c", 3, "m3", 60)?.entries.map((e) => e.keyHex)).toEqual(["b", "c"]);
    expect(b.takeDue(100).map((x) => x.epoch)).toEqual([1]);
    expect(b.size).toBe(0);
  });

  it("folds a redelivered blob into its pending entry (both deliveries kept, listed once)", () => {
    const b = new Batcher<number, string>({ maxBatchBlobs: 2, maxBatchDelayMs: 100 });
    b.add(1, "a", 1, "m1", 0);
    expect(b.add(1, "a", 1, "m1-again", 5)).toBeUndefined();
    expect(b.size).toBe(1);
    const [batch] = b.takeAll();
    expect(batch!.entries).toHaveLength(1);
    expect(batch!.entries[0]!.refs).toEqual(["m1", "m1-again"]);
  });

  it("rejects nonsensical options", () => {
    expect(() => new Batcher({ maxBatchBlobs: 0, maxBatchDelayMs: 1 })).toThrow();
  });
});
