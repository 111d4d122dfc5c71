/**
 * Turns a blob key into a signed SampleReport: reads the header (Redis `tributary:blob:<key>`
 * field `header`, canonical hex), samples it in the epoch the header names, and signs the
 * report's canonical bytes (signSampleReport in @tributary/protocol) with the sampler's BLS key.
 */
import { create } from "@bufbuild/protobuf";
import {
  type SampleReport,
  type SampleReportBatch,
  SampleReportBatchSchema,
  SampleReportSchema,
} from "@tributary/proto/tributary/sampler/v1/sampler";
import {
  type BlobHeader,
  bytesEqual,
  decodeBlobHeader,
  type EpochMembership,
  blobKey as keyOf,
  signSampleReport,
  signSampleReportBatch,
} from "@tributary/protocol";
import { blobStatusKey } from "@tributary/runtime";
import type { Redis } from "ioredis";
import { type CellFetcher, sampleBlob } from "./cellSampler.ts";
import type { SamplerMetrics } from "./metrics.ts";

export interface EpochSource {
  readonly current: EpochMembership;
  epoch(n: number): Promise<EpochMembership>;
  onChange?(fn: (m: EpochMembership) => void): () => void;
}

export interface HeaderSource {
  get(blobKey: Uint8Array): Promise<BlobHeader | undefined>;
}

export class RedisHeaderSource implements HeaderSource {
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  async get(key: Uint8Array): Promise<BlobHeader | undefined> {
    const hex = await this.redis.hget(blobStatusKey(key), "header");
    if (hex === null) return undefined;
    const header = decodeBlobHeader(new Uint8Array(Buffer.from(hex, "hex")));
    if (!bytesEqual(keyOf(header), key)) throw new Error("stored header does not hash to the blob key");
    return header;
  }
}

export type BlobSamplerOptions = {
  readonly samplerId: string;
  readonly secretKey: Uint8Array;
  readonly confidence: number;
  readonly cellTimeoutMs: number;
};

export class BlobSampler {
  private readonly opts: BlobSamplerOptions;
  private readonly modules: {
    fetcher: CellFetcher;
    membership: EpochSource;
    headers: HeaderSource;
    metrics: SamplerMetrics;
  };

  constructor(
    opts: BlobSamplerOptions,
    modules: {
      fetcher: CellFetcher;
      membership: EpochSource;
      headers: HeaderSource;
      metrics: SamplerMetrics;
    },
  ) {
    this.opts = opts;
    this.modules = modules;
  }

  /**
   * undefined if the blob's header is unknown. `sign: false` leaves the report unsigned, for a
   * caller that signs several reports at once (`signBatch`).
   */
  async sampleKey(
    key: Uint8Array,
    confidence?: number,
    signal?: AbortSignal,
    sign = true,
  ): Promise<SampleReport | undefined> {
    const header = await this.modules.headers.get(key);
    if (header === undefined) return undefined;
    return this.sampleHeader(header, key, confidence, signal, sign);
  }

  /** The batch of `reports` (unsigned, from this sampler) with this sampler's one signature. */
  signBatch(reports: SampleReport[]): SampleReportBatch {
    return create(SampleReportBatchSchema, {
      reports,
      signature: signSampleReportBatch(this.opts.secretKey, reports),
    });
  }

  async sampleHeader(
    header: BlobHeader,
    key: Uint8Array,
    confidence = this.opts.confidence,
    signal?: AbortSignal,
    sign = true,
  ): Promise<SampleReport> {
    const { metrics } = this.modules;
    const epoch = await this.modules.membership.epoch(header.epoch);
    const outcome = await sampleBlob(header, key, epoch, this.modules.fetcher, {
      confidence,
      timeoutMs: this.opts.cellTimeoutMs,
      signal,
    });
    const failed = outcome.failedCells.length;
    metrics.samples.inc({ result: "verified" }, outcome.samples - failed);
    if (failed > 0) metrics.samples.inc({ result: "failed" }, failed);
    for (const [shard, n] of outcome.rejected) metrics.rejectedAnswers.inc({ shard }, n);
    metrics.blobsSampled.inc({ result: outcome.passed ? "passed" : "failed" });
    const report = create(SampleReportSchema, {
      blobKey: key,
      epoch: BigInt(header.epoch),
      samples: outcome.samples,
      failedCells: outcome.failedCells,
      passed: outcome.passed,
      confidence: outcome.confidence,
      samplerId: this.opts.samplerId,
      sampledAtMs: BigInt(Date.now()),
    });
    if (sign) report.signature = signSampleReport(this.opts.secretKey, report);
    return report;
  }
}
