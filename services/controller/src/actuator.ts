/**
 * How the controller changes the number of shards: one interface, one implementation per place
 * Tributary runs (Kubernetes: kubeActuator.ts). Counts are absolute, so every call is idempotent
 * and an interrupted operation is resumed by calling again with the same count.
 */
import type { ResourceKind } from "./scalingPolicy.ts";

export interface Actuator {
  /** The shard count in force now (what the last `scaleTo` asked for, as the platform has it). */
  readCount(kind: ResourceKind, signal?: AbortSignal): Promise<number>;
  /** Asks for `count` shards of `kind`; returns once the platform accepted it, not once they run. */
  scaleTo(kind: ResourceKind, count: number, signal?: AbortSignal): Promise<void>;
  /** Resolves when exactly `count` shards of `kind` are ready; rejects after `timeoutMs`. */
  waitReady(kind: ResourceKind, count: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
}
