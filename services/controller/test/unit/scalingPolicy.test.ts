import { describe, expect, it } from "vitest";
import {
  computePressure,
  decideScale,
  INITIAL_POLICY_STATE,
  type LoadSample,
  observeLoad,
  type PolicyState,
  type ResourceKind,
  type ScaleDecision,
  scalingPolicyConfigSchema,
} from "../../src/scalingPolicy.ts";

// Small numbers so the timelines below read easily: 10 s window, 30 s cool-down, a sample a second.
const config = scalingPolicyConfigSchema.parse({
  windowMs: 10_000,
  cooldownMs: 30_000,
  maxSampleGapMs: 5_000,
  consensus: { targetCertificateBacklog: 100, targetBlockFill: 0.5, min: 1, max: 4 },
  storage: { targetFill: 0.8, targetIngestMBps: 100, min: 2, max: 8, step: 2 },
});

/** A consensus sample whose load ratio is `ratio` (through the backlog; block fill stays low). */
const consensusAt = (atMs: number, ratio: number): LoadSample => ({
  kind: "consensus",
  atMs,
  load: { certificateBacklog: [ratio * 100, ratio * 100], blockFill: [0, 0] },
});

/**
 * Feeds one sample a second for the ratios given and decides after each, acting on the decision
 * as the controller would (the shard count changes, the action time is recorded).
 */
function simulate(kind: ResourceKind, ratios: readonly number[], start: number, sampleOf = consensusAt) {
  let state: PolicyState = INITIAL_POLICY_STATE;
  let current = start;
  let lastActionAtMs: number | undefined;
  const actions: ScaleDecision[] = [];
  ratios.forEach((ratio, i) => {
    const nowMs = i * 1000;
    state = observeLoad(state, sampleOf(nowMs, ratio), config);
    const d = decideScale(kind, state, { nowMs, current, lastActionAtMs }, config);
    if (d.action !== "hold") {
      actions.push(d);
      current = d.to;
      lastActionAtMs = nowMs;
    }
  });
  return { actions, current };
}

describe("computePressure", () => {
  it("takes the largest ratio over the signals, averaging throughput over shards", () => {
    const p = computePressure(
      { kind: "consensus", atMs: 0, load: { certificateBacklog: [50, 150], blockFill: [0.25, 0.25] } },
      config,
    );
    expect(p).toEqual({ ratio: 1, signal: "certificate backlog" });
    const q = computePressure(
      { kind: "consensus", atMs: 0, load: { certificateBacklog: [10, 10], blockFill: [0.9, 0.7] } },
      config,
    );
    expect(q.signal).toBe("block fill");
    expect(q.ratio).toBeCloseTo(1.6);
  });

  it("uses the fullest storage shard's fill, and mean ingest", () => {
    const fill = computePressure(
      { kind: "storage", atMs: 0, load: { fill: [0.1, 0.8], ingestMBps: [10, 10] } },
      config,
    );
    expect(fill).toEqual({ ratio: 1, signal: "storage fill" });
    const ingest = computePressure(
      { kind: "storage", atMs: 0, load: { fill: [0.1, 0.1], ingestMBps: [100, 300] } },
      config,
    );
    expect(ingest).toEqual({ ratio: 2, signal: "ingest MB/s" });
  });

  it("counts no shards as no load", () => {
    expect(
      computePressure({ kind: "storage", atMs: 0, load: { fill: [], ingestMBps: [] } }, config).ratio,
    ).toBe(0);
  });
});

describe("decideScale", () => {
  it("scales up only after a whole window above the up-threshold", () => {
    // 10 samples (0..9 s) above target: 9 s of streak, not yet; the 11th (10 s) completes it.
    expect(simulate("consensus", Array(10).fill(1.5), 2).actions).toEqual([]);
    const { actions, current } = simulate("consensus", Array(11).fill(1.5), 2);
    expect(current).toBe(3);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: "consensus", action: "scaleUp", from: 2, to: 3 });
    expect(actions[0]!.reason).toContain("certificate backlog at 1.50 of target");
  });

  it("scales down only after a whole window below the separate down-threshold", () => {
    // 0.7 is under target but above scaleDownAt (0.5): the dead band, nothing happens.
    expect(simulate("consensus", Array(60).fill(0.7), 3).actions).toEqual([]);
    const { actions } = simulate("consensus", Array(11).fill(0.2), 3);
    expect(actions).toMatchObject([{ action: "scaleDown", from: 3, to: 2 }]);
  });

  it("does not flap on a signal oscillating around the up-threshold", () => {
    // Above for 5 s, just below for 1 s, over and over for 10 minutes: never a full window above,
    // and never low enough to scale down.
    const ratios = Array.from({ length: 600 }, (_, i) => (i % 6 === 5 ? 0.99 : 1.01));
    expect(simulate("consensus", ratios, 2).actions).toEqual([]);
  });

  it("does not flap on a signal oscillating around the down-threshold", () => {
    const ratios = Array.from({ length: 600 }, (_, i) => (i % 4 === 3 ? 0.51 : 0.49));
    expect(simulate("consensus", ratios, 3).actions).toEqual([]);
  });

  it("waits out the cool-down between actions, then needs a new window after the action", () => {
    // Load stays high for two minutes: one action per cool-down (30 s), not one per window.
    const { actions } = simulate("consensus", Array(120).fill(3), 1);
    expect(actions.map((a) => a.to)).toEqual([2, 3, 4]);
    // At 10 s, then 40 s (cool-down over, and the streak since the action is 30 s >= window), 70 s.
    const times = simulate("consensus", Array(41).fill(3), 1).actions.length;
    expect(times).toBe(2);
  });

  it("counts the window from the last action when the cool-down is shorter than the window", () => {
    const short = scalingPolicyConfigSchema.parse({ ...config, cooldownMs: 1_000 });
    let state = INITIAL_POLICY_STATE;
    for (let t = 0; t <= 20_000; t += 1000) state = observeLoad(state, consensusAt(t, 2), short);
    // Above since 0; the last action at 15 s: only 5 s of the streak come after it.
    expect(
      decideScale("consensus", state, { nowMs: 20_000, current: 2, lastActionAtMs: 15_000 }, short).action,
    ).toBe("hold");
    expect(
      decideScale("consensus", state, { nowMs: 20_000, current: 2, lastActionAtMs: 10_000 }, short).action,
    ).toBe("scaleUp");
  });

  it("stops at max and min, and steps by the configured step", () => {
    const storageAt = (atMs: number, ratio: number): LoadSample => ({
      kind: "storage",
      atMs,
      load: { fill: [0, 0], ingestMBps: [ratio * 100, ratio * 100] },
    });
    const up = simulate("storage", Array(300).fill(2), 2, storageAt);
    expect(up.actions.map((a) => a.to)).toEqual([4, 6, 8]);
    const down = simulate("storage", Array(300).fill(0.1), 7, storageAt);
    expect(down.actions.map((a) => a.to)).toEqual([5, 3, 2]);
    let state = INITIAL_POLICY_STATE;
    for (let t = 0; t <= 10_000; t += 1000) state = observeLoad(state, storageAt(t, 2), config);
    const atMax = decideScale(
      "storage",
      state,
      { nowMs: 10_000, current: 8, lastActionAtMs: undefined },
      config,
    );
    expect(atMax).toMatchObject({ action: "hold", from: 8, to: 8 });
    expect(atMax.reason).toContain("maximum of 8");
  });

  it("brings a count outside [min, max] back inside at once, cool-down or not", () => {
    const d = decideScale(
      "storage",
      INITIAL_POLICY_STATE,
      { nowMs: 0, current: 1, lastActionAtMs: 0 },
      config,
    );
    expect(d).toMatchObject({ action: "scaleUp", from: 1, to: 2 });
    const e = decideScale(
      "consensus",
      INITIAL_POLICY_STATE,
      { nowMs: 0, current: 9, lastActionAtMs: 0 },
      config,
    );
    expect(e).toMatchObject({ action: "scaleDown", from: 9, to: 4 });
  });

  it("restarts the window after a gap in the samples, and holds without recent samples", () => {
    let state = INITIAL_POLICY_STATE;
    for (let t = 0; t <= 6_000; t += 1000) state = observeLoad(state, consensusAt(t, 2), config);
    // 6 s gap (> maxSampleGapMs of 5 s), then samples again: the streak starts at 12 s.
    for (let t = 12_000; t <= 18_000; t += 1000) state = observeLoad(state, consensusAt(t, 2), config);
    expect(state.aboveSinceMs).toBe(12_000);
    expect(
      decideScale("consensus", state, { nowMs: 18_000, current: 2, lastActionAtMs: undefined }, config)
        .action,
    ).toBe("hold");
    const stale = decideScale(
      "consensus",
      state,
      { nowMs: 30_000, current: 2, lastActionAtMs: undefined },
      config,
    );
    expect(stale).toMatchObject({ action: "hold", reason: "no recent load sample" });
  });

  it("ignores a sample older than the last one", () => {
    const s1 = observeLoad(INITIAL_POLICY_STATE, consensusAt(5_000, 2), config);
    expect(observeLoad(s1, consensusAt(4_000, 0.1), config)).toBe(s1);
  });
});

describe("scalingPolicyConfigSchema", () => {
  it("has defaults for everything", () => {
    const c = scalingPolicyConfigSchema.parse({});
    expect(c.consensus.scaleDownAt).toBeLessThan(c.consensus.scaleUpAt);
    expect(c.storage.min).toBeLessThanOrEqual(c.storage.max);
  });

  it("rejects a down-threshold at or above the up-threshold, min above max, unknown keys", () => {
    expect(() => scalingPolicyConfigSchema.parse({ consensus: { scaleUpAt: 1, scaleDownAt: 1 } })).toThrow(
      /scaleDownAt/,
    );
    expect(() => scalingPolicyConfigSchema.parse({ storage: { min: 5, max: 4 } })).toThrow(/min at most max/);
    expect(() => scalingPolicyConfigSchema.parse({ windowMS: 1 })).toThrow(/windowMS/);
  });
});
