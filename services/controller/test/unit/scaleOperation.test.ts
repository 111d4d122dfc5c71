import { createMetrics } from "@tributary/runtime";
import { describe, expect, it } from "vitest";
import type { Actuator } from "../../src/actuator.ts";
import { type ControllerState, type ControllerStateStore, EMPTY_STATE } from "../../src/controllerState.ts";
import { createControllerMetrics } from "../../src/metrics.ts";
import { resumeScaleOperation, ScaleOperationError, startScaleOperation } from "../../src/scaleOperation.ts";
import type { ResourceKind, ScaleDecision } from "../../src/scalingPolicy.ts";

/** Records every call in order, so tests can check what happened before what. */
function fakes(opts: { failReady?: boolean; crashOnScale?: boolean } = {}) {
  const log: string[] = [];
  let stored: ControllerState = EMPTY_STATE;
  const counts: Record<ResourceKind, number> = { consensus: 1, storage: 2 };
  const store: ControllerStateStore = {
    load: async () => structuredClone(stored),
    save: async (s) => {
      log.push(`save ${s.operation === undefined ? "done" : `op ${s.operation.to}`}`);
      stored = structuredClone(s);
    },
  };
  const actuator: Actuator = {
    readCount: async (kind) => counts[kind],
    scaleTo: async (kind, count) => {
      log.push(`scale ${kind} ${count}`);
      if (opts.crashOnScale) throw new Error("process died");
      counts[kind] = count;
    },
    waitReady: async (kind, count) => {
      log.push(`ready ${kind} ${count}`);
      if (opts.failReady) throw new Error("not ready in time");
    },
  };
  const metrics = createControllerMetrics(createMetrics({ service: "controller", defaultMetrics: false }));
  let epoch = 6;
  const openEpoch = async () => {
    log.push("epoch");
    return ++epoch;
  };
  return { log, store, actuator, metrics, openEpoch, stored: () => stored, now: () => 1_000 };
}

const decision = (kind: ResourceKind, from: number, to: number): ScaleDecision => ({
  kind,
  action: to > from ? "scaleUp" : "scaleDown",
  from,
  to,
  reason: "test",
});
const OPTS = { readyTimeoutMs: 1_000 };
const count = async (m: ReturnType<typeof fakes>["metrics"], target: string, result: string) =>
  (await m.scaleOperations.get()).values.find((v) => v.labels.target === target && v.labels.result === result)
    ?.value ?? 0;

describe("scale operations", () => {
  it("records the operation before acting, opens the epoch after the shards are ready when growing", async () => {
    const f = fakes();
    const op = await startScaleOperation(decision("storage", 2, 4), OPTS, f);
    expect(f.log).toEqual(["save op 4", "scale storage 4", "ready storage 4", "epoch", "save done"]);
    expect(f.stored()).toEqual({ counts: { storage: 4 }, lastActionAtMs: { storage: 1_000 }, epoch: 7 });
    expect(op).toMatchObject({ kind: "storage", from: 2, to: 4, startedAtMs: 1_000 });
    expect(await count(f.metrics, "storage", "succeeded")).toBe(1);
  });

  it("opens the epoch without the leaving shards before stopping them when shrinking", async () => {
    const f = fakes();
    await startScaleOperation(decision("consensus", 3, 2), OPTS, f);
    expect(f.log).toEqual(["save op 2", "epoch", "scale consensus 2", "ready consensus 2", "save done"]);
  });

  it("leaves a failed operation in the state, counts the failure, and refuses a second one", async () => {
    const f = fakes({ failReady: true });
    await expect(startScaleOperation(decision("storage", 2, 3), OPTS, f)).rejects.toThrow(
      "not ready in time",
    );
    expect(f.stored().operation).toMatchObject({ to: 3 });
    expect(await count(f.metrics, "storage", "failed")).toBe(1);
    await expect(startScaleOperation(decision("consensus", 1, 2), OPTS, f)).rejects.toBeInstanceOf(
      ScaleOperationError,
    );
  });

  it("resumes an interrupted operation with the same id and target, and then has nothing to resume", async () => {
    const crashed = fakes({ crashOnScale: true });
    await expect(startScaleOperation(decision("storage", 2, 5), OPTS, crashed)).rejects.toThrow(
      "process died",
    );
    const interrupted = crashed.stored().operation!;
    // A new process: same stored state, new actuator.
    const f = fakes();
    await f.store.save(crashed.stored());
    f.log.length = 0;
    const resumed = await resumeScaleOperation(OPTS, f);
    expect(resumed).toEqual(interrupted);
    expect(f.log).toEqual(["scale storage 5", "ready storage 5", "epoch", "save done"]);
    expect(f.stored()).toEqual({ counts: { storage: 5 }, lastActionAtMs: { storage: 1_000 }, epoch: 7 });
    expect(await resumeScaleOperation(OPTS, f)).toBeUndefined();
  });
});
