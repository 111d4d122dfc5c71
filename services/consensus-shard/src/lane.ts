/**
 * Names of the publishing-lane subjects, streams and KV buckets a consensus shard uses
 * (docs/pipeline.md). Roots are configurable so tests and several clusters can share one NATS;
 * the defaults are the contract's names.
 */
import type { EnsureStreamConfig } from "@tributary/runtime";
import { RetentionPolicy, StorageType } from "nats";

export type LaneNames = {
  /** Subject root, default "tributary". */
  readonly subjectRoot: string;
  /** Stream name prefix, default "TRIBUTARY". */
  readonly streamPrefix: string;
  /** Leader lease KV bucket, default "tributary_leases". */
  readonly leaseBucket: string;
};

export const DEFAULT_LANE: LaneNames = {
  subjectRoot: "tributary",
  streamPrefix: "TRIBUTARY",
  leaseBucket: "tributary_leases",
};

const HOUR_NS = 3600 * 1_000_000_000;

export const certsSubject = (l: LaneNames, shardId: string): string => `${l.subjectRoot}.certs.${shardId}`;
export const certsStream = (l: LaneNames): string => `${l.streamPrefix}_CERTS`;
export const blocksSubject = (l: LaneNames, shardId: string): string => `${l.subjectRoot}.blocks.${shardId}`;
export const blocksStream = (l: LaneNames, shardId: string): string => `${l.streamPrefix}_BLOCKS_${shardId}`;
export const votesSubject = (l: LaneNames, shardId: string, height: number | bigint): string =>
  `${l.subjectRoot}.votes.${shardId}.${height}`;
export const votesFilter = (l: LaneNames, shardId: string): string => `${l.subjectRoot}.votes.${shardId}.>`;
export const votesStream = (l: LaneNames): string => `${l.streamPrefix}_VOTES`;
export const samplesSubject = (l: LaneNames, shardId: string): string =>
  `${l.subjectRoot}.samples.${shardId}`;
export const samplesStream = (l: LaneNames): string => `${l.streamPrefix}_SAMPLES`;
export const finalitySubject = (l: LaneNames, shardId: string): string =>
  `${l.subjectRoot}.finality.${shardId}`;
export const finalityStream = (l: LaneNames): string => `${l.streamPrefix}_FINALITY`;

const base = (replicas: number) => ({ storage: StorageType.File, num_replicas: replicas });

/** Every stream a consensus shard reads or writes, with the contract's retention. */
export function consensusStreams(l: LaneNames, shardId: string, replicas: number): EnsureStreamConfig[] {
  return [
    {
      name: certsStream(l),
      subjects: [`${l.subjectRoot}.certs.>`],
      retention: RetentionPolicy.Workqueue,
      ...base(replicas),
    },
    {
      name: blocksStream(l, shardId),
      subjects: [blocksSubject(l, shardId)],
      retention: RetentionPolicy.Limits,
      ...base(replicas),
    },
    {
      name: votesStream(l),
      subjects: [`${l.subjectRoot}.votes.>`],
      retention: RetentionPolicy.Limits,
      max_age: HOUR_NS,
      ...base(replicas),
    },
    {
      name: samplesStream(l),
      subjects: [`${l.subjectRoot}.samples.>`],
      retention: RetentionPolicy.Limits,
      max_age: HOUR_NS,
      ...base(replicas),
    },
    {
      name: finalityStream(l),
      subjects: [`${l.subjectRoot}.finality.>`],
      retention: RetentionPolicy.Limits,
      ...base(replicas),
    },
  ];
}
