/**
 * When to add or remove shards: pure decision logic, no I/O. The controller feeds it one load
 * sample per resource kind per tick and asks for a decision; the same samples always give the
 * same decisions, so the hysteresis can be tested without a cluster.
 *
 * Hysteresis has three parts, as the horizontal pod autoscaler and Prometheus `for:` do it:
 * - a load *ratio* (observed / target, the largest over the kind's signals) must stay at or above
 *   `scaleUpAt` for a whole `windowMs` before scaling up, and at or below a separate, lower
 *   `scaleDownAt` for a whole window before scaling down: a signal oscillating around one
 *   threshold resets its streak on every crossing and never acts;
 * - no action within `cooldownMs` of the last one (new shards need time to take load, and the
 *   samples taken before the change describe the old shard count);
 * - a gap in the samples longer than `maxSampleGapMs` (the load reader failing) resets the
 *   streak: a decision needs a window actually observed.
 */
import { z } from "zod";

export type ResourceKind = "consensus" | "storage";
export const RESOURCE_KINDS: readonly ResourceKind[] = ["consensus", "storage"];

/** Load of the consensus shards at one instant, one entry per shard (order irrelevant). */
export interface ConsensusLoad {
  /** Certificates waiting to be ordered, per consensus shard. */
  readonly certificateBacklog: readonly number[];
  /** Fraction (0..1) of the block size limit the last blocks used, per consensus shard. */
  readonly blockFill: readonly number[];
}

/** Load of the storage shards at one instant, one entry per shard. */
export interface StorageLoad {
  /** Fraction (0..1) of the volume used, per storage shard. */
  readonly fill: readonly number[];
  /** Column bytes taken in, MB/s, per storage shard. */
  readonly ingestMBps: readonly number[];
}

export type LoadSample =
  | { readonly kind: "consensus"; readonly atMs: number; readonly load: ConsensusLoad }
  | { readonly kind: "storage"; readonly atMs: number; readonly load: StorageLoad };

const thresholds = {
  scaleUpAt: z
    .number()
    .positive()
    .default(1)
    .describe("Scale up when the load ratio (observed / target) stays at or above this for a window"),
  scaleDownAt: z
    .number()
    .positive()
    .default(0.5)
    .describe("Scale down when the load ratio stays at or below this for a window (below scaleUpAt)"),
  min: z.number().int().positive().default(1).describe("Fewest shards"),
  max: z.number().int().positive().default(16).describe("Most shards"),
  step: z.number().int().positive().default(1).describe("Shards added or removed by one action"),
};

const checkBounds = (c: { scaleUpAt: number; scaleDownAt: number; min: number; max: number }) =>
  c.scaleDownAt < c.scaleUpAt && c.min <= c.max;
const boundsMessage = "scaleDownAt must be below scaleUpAt and min at most max";

export const scalingPolicyConfigSchema = z.strictObject({
  windowMs: z
    .number()
    .int()
    .positive()
    .default(300_000)
    .describe("How long the load must stay past a threshold before the controller acts"),
  cooldownMs: z
    .number()
    .int()
    .nonnegative()
    .default(600_000)
    .describe("No action within this long of the last one (of the same kind)"),
  maxSampleGapMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe("A longer gap between samples restarts the window (the load reader was failing)"),
  consensus: z
    .strictObject({
      ...thresholds,
      targetCertificateBacklog: z
        .number()
        .positive()
        .default(256)
        .describe("Target mean certificate backlog per consensus shard"),
      targetBlockFill: z.number().gt(0).lte(1).default(0.7).describe("Target mean block fill (0..1)"),
    })
    .refine(checkBounds, boundsMessage)
    .prefault({}),
  storage: z
    .strictObject({
      ...thresholds,
      targetFill: z
        .number()
        .gt(0)
        .lte(1)
        .default(0.75)
        .describe("Target fill of the fullest storage shard's volume (0..1)"),
      targetIngestMBps: z
        .number()
        .positive()
        .default(200)
        .describe("Target mean column ingest per storage shard, MB/s"),
    })
    .refine(checkBounds, boundsMessage)
    .prefault({}),
});
export type ScalingPolicyConfig = z.infer<typeof scalingPolicyConfigSchema>;

/** The signal that set a sample's ratio, for the decision's reason. */
export interface Pressure {
  readonly ratio: number;
  readonly signal: string;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const max = (xs: readonly number[]) => (xs.length === 0 ? 0 : Math.max(...xs));

/**
 * One number per sample: observed / target for each signal, the largest wins. Throughput signals
 * are averaged over shards (work is hashed over them, so more shards lower the mean); storage fill
 * takes the fullest shard (a full volume is a hard limit, and new shards take new columns).
 */
export function computePressure(sample: LoadSample, config: ScalingPolicyConfig): Pressure {
  const ratios: [string, number][] =
    sample.kind === "consensus"
      ? [
          [
            "certificate backlog",
            mean(sample.load.certificateBacklog) / config.consensus.targetCertificateBacklog,
          ],
          ["block fill", mean(sample.load.blockFill) / config.consensus.targetBlockFill],
        ]
      : [
          ["storage fill", max(sample.load.fill) / config.storage.targetFill],
          ["ingest MB/s", mean(sample.load.ingestMBps) / config.storage.targetIngestMBps],
        ];
  let best: Pressure = { ratio: 0, signal: ratios[0]![0] };
  for (const [signal, ratio] of ratios) if (ratio > best.ratio) best = { ratio, signal };
  return best;
}

/** What the policy remembers about one resource kind between samples. */
export interface PolicyState {
  /** Start of the current run of samples at or above scaleUpAt. */
  readonly aboveSinceMs?: number | undefined;
  /** Start of the current run of samples at or below scaleDownAt. */
  readonly belowSinceMs?: number | undefined;
  readonly lastSampleAtMs?: number;
  readonly lastPressure?: Pressure;
}

export const INITIAL_POLICY_STATE: PolicyState = {};

/** Folds one sample into the state; samples older than the last one are ignored. */
export function observeLoad(
  state: PolicyState,
  sample: LoadSample,
  config: ScalingPolicyConfig,
): PolicyState {
  if (state.lastSampleAtMs !== undefined && sample.atMs < state.lastSampleAtMs) return state;
  const limits = config[sample.kind];
  const pressure = computePressure(sample, config);
  const gap =
    state.lastSampleAtMs !== undefined && sample.atMs - state.lastSampleAtMs > config.maxSampleGapMs;
  const prev = gap ? INITIAL_POLICY_STATE : state;
  return {
    aboveSinceMs: pressure.ratio >= limits.scaleUpAt ? (prev.aboveSinceMs ?? sample.atMs) : undefined,
    belowSinceMs: pressure.ratio <= limits.scaleDownAt ? (prev.belowSinceMs ?? sample.atMs) : undefined,
    lastSampleAtMs: sample.atMs,
    lastPressure: pressure,
  };
}

export type ScaleAction = "hold" | "scaleUp" | "scaleDown";

export interface ScaleDecision {
  readonly kind: ResourceKind;
  readonly action: ScaleAction;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/**
 * The decision for one kind at `nowMs`, with `current` shards and the last action of this kind
 * at `lastActionAtMs` (undefined: never). A streak only counts from after the last action: the
 * samples before it measured a different shard count.
 */
export function decideScale(
  kind: ResourceKind,
  state: PolicyState,
  input: { nowMs: number; current: number; lastActionAtMs: number | undefined },
  config: ScalingPolicyConfig,
): ScaleDecision {
  const { nowMs, current, lastActionAtMs } = input;
  const limits = config[kind];
  const decision = (action: ScaleAction, to: number, reason: string): ScaleDecision => ({
    kind,
    action,
    from: current,
    to,
    reason,
  });
  const hold = (reason: string) => decision("hold", current, reason);
  if (current < limits.min) return decision("scaleUp", limits.min, `below the minimum of ${limits.min}`);
  if (current > limits.max) return decision("scaleDown", limits.max, `above the maximum of ${limits.max}`);
  if (lastActionAtMs !== undefined && nowMs - lastActionAtMs < config.cooldownMs) {
    return hold(`cool-down: last action ${nowMs - lastActionAtMs} ms ago`);
  }
  if (state.lastSampleAtMs === undefined || nowMs - state.lastSampleAtMs > config.maxSampleGapMs) {
    return hold("no recent load sample");
  }
  const p = state.lastPressure!;
  const sustained = (since: number | undefined) =>
    since !== undefined && nowMs - Math.max(since, lastActionAtMs ?? since) >= config.windowMs;
  const describe = `${p.signal} at ${p.ratio.toFixed(2)} of target`;
  if (sustained(state.aboveSinceMs)) {
    if (current >= limits.max) return hold(`${describe}, already at the maximum of ${limits.max}`);
    const to = Math.min(limits.max, current + limits.step);
    return decision("scaleUp", to, `${describe} for ${nowMs - state.aboveSinceMs!} ms`);
  }
  if (sustained(state.belowSinceMs)) {
    if (current <= limits.min) return hold(`${describe}, already at the minimum of ${limits.min}`);
    const to = Math.max(limits.min, current - limits.step);
    return decision("scaleDown", to, `${describe} for ${nowMs - state.belowSinceMs!} ms`);
  }
  return hold(`${describe}, within the thresholds or not for a whole window`);
}
