/**
 * Names of the publishing-lane subjects and streams the sampler uses (docs/pipeline.md);
 * configurable roots so tests and several clusters can share one NATS.
 */
import type { EnsureStreamConfig } from "@tributary/runtime";
import { RetentionPolicy, StorageType } from "nats";

export type LaneNames = { readonly subjectRoot: string; readonly streamPrefix: string };

export const DEFAULT_LANE: LaneNames = { subjectRoot: "tributary", streamPrefix: "TRIBUTARY" };

export const blocksStream = (l: LaneNames, shardId: string): string => `${l.streamPrefix}_BLOCKS_${shardId}`;
export const samplesSubject = (l: LaneNames, shardId: string): string =>
  `${l.subjectRoot}.samples.${shardId}`;
export const samplesStream = (l: LaneNames): string => `${l.streamPrefix}_SAMPLES`;
export const finalitySubject = (l: LaneNames, shardId: string): string =>
  `${l.subjectRoot}.finality.${shardId}`;
export const finalityStream = (l: LaneNames): string => `${l.streamPrefix}_FINALITY`;

/** TRIBUTARY_SAMPLES: limits, max age 1 h (same config as the consensus shard's). */
export function samplesStreamConfig(l: LaneNames, replicas: number): EnsureStreamConfig {
  return {
    name: samplesStream(l),
    subjects: [`${l.subjectRoot}.samples.>`],
    retention: RetentionPolicy.Limits,
    max_age: 3600 * 1_000_000_000,
    storage: StorageType.File,
    num_replicas: replicas,
  };
}
