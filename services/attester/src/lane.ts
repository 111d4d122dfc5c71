/**
 * Names of the publishing-lane subjects and streams the attester uses (docs/pipeline.md). The
 * roots are configurable so tests (and several clusters on one NATS) can run side by side; the
 * defaults are the contract's names.
 */
import type { EnsureStreamConfig } from "@tributary/runtime";
import { RetentionPolicy, StorageType } from "nats";

export type LaneNames = {
  /** Subject root, default "tributary". */
  readonly subjectRoot: string;
  /** Stream name prefix, default "TRIBUTARY". */
  readonly streamPrefix: string;
};

export const DEFAULT_LANE: LaneNames = { subjectRoot: "tributary", streamPrefix: "TRIBUTARY" };

export const encodedSubject = (lane: LaneNames): string => `${lane.subjectRoot}.encoded`;
export const encodedStream = (lane: LaneNames): string => `${lane.streamPrefix}_ENCODED`;
export const certsSubject = (lane: LaneNames, shardId: string): string =>
  `${lane.subjectRoot}.certs.${shardId}`;
export const certsStream = (lane: LaneNames): string => `${lane.streamPrefix}_CERTS`;

/** TRIBUTARY_ENCODED: work queue written by the disperser, read by the attester. */
export function encodedStreamConfig(lane: LaneNames, replicas: number): EnsureStreamConfig {
  return {
    name: encodedStream(lane),
    subjects: [encodedSubject(lane)],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
  };
}

/** TRIBUTARY_CERTS: work queue written by the attester, read by each consensus shard's leader. */
export function certsStreamConfig(lane: LaneNames, replicas: number): EnsureStreamConfig {
  return {
    name: certsStream(lane),
    subjects: [`${lane.subjectRoot}.certs.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
  };
}
