import { createLogger } from "@tributary/runtime";
import { describe, expect, it } from "vitest";
import { LeaderLease, type LeaseKv } from "../../src/leaderLease.ts";

/** In-memory KV with create/update-by-revision semantics and manual expiry. */
function memoryKv() {
  const state: { entry?: { value: Uint8Array; revision: number } | undefined; seq: number } = { seq: 0 };
  const kv: LeaseKv & { expire(): void } = {
    async create(_k, value) {
      if (state.entry !== undefined) throw new Error("wrong last sequence");
      state.entry = { value, revision: ++state.seq };
      return state.seq;
    },
    async update(_k, value, revision) {
      if (state.entry?.revision !== revision) throw new Error("wrong last sequence");
      state.entry = { value, revision: ++state.seq };
      return state.seq;
    },
    async get() {
      return state.entry === undefined ? null : { ...state.entry, operation: "PUT" };
    },
    async delete(_k, opts) {
      if (opts?.previousSeq !== undefined && state.entry?.revision !== opts.previousSeq)
        throw new Error("conflict");
      state.entry = undefined;
    },
    expire() {
      state.entry = undefined;
    },
  };
  return kv;
}

const logger = createLogger({ service: "test", level: "silent" });

describe("leader lease", () => {
  it("one holder at a time; renewals keep it; a failed renew loses it; release hands it over", async () => {
    const kv = memoryKv();
    const changes: string[] = [];
    const a = new LeaderLease(
      { key: "s", holderId: "a", renewMs: 1000 },
      { kv, logger, onChange: (h) => changes.push(`a:${h}`) },
    );
    const b = new LeaderLease(
      { key: "s", holderId: "b", renewMs: 1000 },
      { kv, logger, onChange: (h) => changes.push(`b:${h}`) },
    );
    await a.tick();
    await b.tick();
    expect([a.held, b.held]).toEqual([true, false]);
    await a.tick();
    expect(a.held).toBe(true);
    // The entry expires (a stalled); b takes it; a's next renew fails.
    kv.expire();
    await b.tick();
    await a.tick();
    expect([a.held, b.held]).toEqual([false, true]);
    await b.stop();
    await a.tick();
    expect(a.held).toBe(true);
    expect(changes).toEqual(["a:true", "b:true", "a:false", "b:false", "a:true"]);
  });

  it("resumes a lease still recorded under its own id (restart)", async () => {
    const kv = memoryKv();
    await kv.create("s", new TextEncoder().encode("a"));
    const a = new LeaderLease({ key: "s", holderId: "a", renewMs: 1000 }, { kv, logger });
    await a.tick();
    expect(a.held).toBe(true);
  });
});
