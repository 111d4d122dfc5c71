/**
 * What the controller keeps in the cluster so that a restarted process resumes where the last
 * one stopped (Kubernetes: a ConfigMap, kubeStateStore.ts): the shard counts it last completed,
 * when it last acted per kind (the cool-down survives restarts), the last epoch it opened, and
 * the scale operation in progress, if any. An operation names an absolute target count, so
 * running it again is harmless: resuming is re-running it to the end.
 */
import { z } from "zod";

const kindSchema = z.enum(["consensus", "storage"]);

export const scaleOperationSchema = z.strictObject({
  /** Unique per operation: logs and events of one scale-out share it. */
  id: z.string().min(1),
  kind: kindSchema,
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  reason: z.string(),
  startedAtMs: z.number().int().nonnegative(),
});
export type ScaleOperation = z.infer<typeof scaleOperationSchema>;

const perKind = <T extends z.ZodType>(t: T) => z.strictObject({ consensus: t, storage: t }).partial();

export const controllerStateSchema = z.strictObject({
  counts: perKind(z.number().int().nonnegative()),
  lastActionAtMs: perKind(z.number().int().nonnegative()),
  /** The last epoch this controller opened (published to the membership bucket). */
  epoch: z.number().int().nonnegative().optional(),
  operation: scaleOperationSchema.optional(),
});
export type ControllerState = z.infer<typeof controllerStateSchema>;

export const EMPTY_STATE: ControllerState = { counts: {}, lastActionAtMs: {} };

/** Where the state lives. `save` replaces it whole; a concurrent writer makes it throw. */
export interface ControllerStateStore {
  load(): Promise<ControllerState>;
  save(state: ControllerState): Promise<void>;
}

export function withOperation(state: ControllerState, op: ScaleOperation): ControllerState {
  return { ...state, operation: op };
}

/** The state after `op` finished: its count, its time as the last action of its kind, the epoch it opened. */
export function completeOperation(
  state: ControllerState,
  op: ScaleOperation,
  nowMs: number,
  epoch?: number,
): ControllerState {
  const { operation: _done, ...rest } = state;
  return {
    ...rest,
    counts: { ...state.counts, [op.kind]: op.to },
    lastActionAtMs: { ...state.lastActionAtMs, [op.kind]: nowMs },
    ...(epoch !== undefined ? { epoch } : {}),
  };
}
