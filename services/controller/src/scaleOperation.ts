/**
 * One scale operation from decision to done: recorded in the cluster before anything changes,
 * actuated, waited for, followed by the step that needs the shards running (opening the next
 * epoch), and only then marked done. A process that dies anywhere in between leaves the
 * operation in the stored state, and the next process finishes it with `resumeScaleOperation`:
 * every step takes absolute counts, so repeating one is harmless.
 */
import { randomUUID } from "node:crypto";
import { CodedError } from "@tributary/runtime";
import type { Actuator } from "./actuator.ts";
import {
  type ControllerStateStore,
  completeOperation,
  type ScaleOperation,
  withOperation,
} from "./controllerState.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { ScaleDecision } from "./scalingPolicy.ts";

export interface ScaleOperationOpts {
  /** How long new shards may take to become ready before the operation fails. */
  readonly readyTimeoutMs: number;
}

export interface ScaleOperationModules {
  readonly actuator: Actuator;
  readonly store: ControllerStateStore;
  /**
   * Opens the epoch with the new shard count; must be idempotent (it may run again on resume).
   * Growing, it runs once the new shards are ready (an epoch must not name shards that cannot
   * serve); shrinking, before the shards stop (no epoch in force may name a stopped shard).
   * Returns the epoch number it opened, which the stored state records.
   */
  readonly openEpoch?: (op: ScaleOperation) => Promise<number>;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /** Counts each finished or failed run of an operation (the alert on failed scaling reads it). */
  readonly metrics?: Pick<ControllerMetrics, "scaleOperations">;
}

export type ScaleOperationErrorCode = "CONTROLLER_ERROR_OPERATION_IN_PROGRESS";

export class ScaleOperationError extends CodedError<{ code: ScaleOperationErrorCode; operationId: string }> {}

/** Records `decision` as the operation in progress, then runs it to the end. */
export async function startScaleOperation(
  decision: ScaleDecision,
  opts: ScaleOperationOpts,
  modules: ScaleOperationModules,
): Promise<ScaleOperation> {
  const now = modules.now ?? Date.now;
  const state = await modules.store.load();
  if (state.operation !== undefined) {
    // Finish that one first (resumeScaleOperation): two at once could open competing epochs.
    throw new ScaleOperationError(
      { code: "CONTROLLER_ERROR_OPERATION_IN_PROGRESS", operationId: state.operation.id },
      `operation ${state.operation.id} is in progress`,
    );
  }
  const op: ScaleOperation = {
    id: randomUUID(),
    kind: decision.kind,
    from: decision.from,
    to: decision.to,
    reason: decision.reason,
    startedAtMs: now(),
  };
  await modules.store.save(withOperation(state, op));
  await finishScaleOperation(op, opts, modules);
  return op;
}

/** Finishes the operation the stored state names, if any (a restarted controller calls this first). */
export async function resumeScaleOperation(
  opts: ScaleOperationOpts,
  modules: ScaleOperationModules,
): Promise<ScaleOperation | undefined> {
  const { operation } = await modules.store.load();
  if (operation === undefined) return undefined;
  await finishScaleOperation(operation, opts, modules);
  return operation;
}

async function finishScaleOperation(
  op: ScaleOperation,
  opts: ScaleOperationOpts,
  modules: ScaleOperationModules,
): Promise<void> {
  try {
    await runScaleOperation(op, opts, modules);
    modules.metrics?.scaleOperations.inc({ target: op.kind, result: "succeeded" });
  } catch (err) {
    // An abort is a shutdown, not a failure to scale: the next process resumes the operation.
    if (!modules.signal?.aborted) modules.metrics?.scaleOperations.inc({ target: op.kind, result: "failed" });
    throw err;
  }
}

async function runScaleOperation(
  op: ScaleOperation,
  opts: ScaleOperationOpts,
  modules: ScaleOperationModules,
): Promise<void> {
  const { actuator, store, signal } = modules;
  const growing = op.to >= op.from;
  let epoch: number | undefined;
  if (!growing) epoch = await modules.openEpoch?.(op);
  await actuator.scaleTo(op.kind, op.to, signal);
  await actuator.waitReady(op.kind, op.to, opts.readyTimeoutMs, signal);
  if (growing) epoch = await modules.openEpoch?.(op);
  // Re-read: the state may have changed since the operation started (another kind's counts).
  const state = await store.load();
  if (state.operation?.id !== op.id) return; // already completed by a process that raced us
  await store.save(completeOperation(state, op, (modules.now ?? Date.now)(), epoch));
}
