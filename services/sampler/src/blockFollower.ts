/**
 * Follows every consensus shard's block stream (one ordered consumer per shard; shards of later
 * epochs are picked up on membership change) and publishes a SampleReport for every blob of
 * every block on `tributary.samples.<shardId>`: the blobs sampled together (up to
 * `maxConcurrentBlobs` of a block) go out as one SampleReportBatch with one BLS signature, since
 * a signature per blob is what limited finality for small blobs. A shard resumes after its last finalized
 * height (earlier blocks need no report); a stream that does not exist yet is retried.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { BlockSchema } from "@tributary/proto/tributary/consensus/v1/consensus";
import { FinalityEventSchema } from "@tributary/proto/tributary/events/v1/events";
import { type SampleReport, SampleReportBatchSchema } from "@tributary/proto/tributary/sampler/v1/sampler";
import type { Logger } from "@tributary/runtime";
import { sleep } from "@tributary/runtime";
import { DeliverPolicy, type NatsConnection } from "nats";
import type { BlobSampler, EpochSource } from "./blobSampler.ts";
import { blocksStream, finalityStream, finalitySubject, type LaneNames, samplesSubject } from "./lane.ts";
import type { SamplerMetrics } from "./metrics.ts";

export type BlockFollowerOptions = {
  readonly lane: LaneNames;
  readonly maxConcurrentBlobs: number;
  readonly headerRetries: number;
  readonly headerRetryMs: number;
};

export class BlockFollower {
  private readonly opts: BlockFollowerOptions;
  private readonly modules: {
    logger: Logger;
    metrics: SamplerMetrics;
    nc: NatsConnection;
    membership: EpochSource;
    sampler: BlobSampler;
  };
  private readonly followed = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopWatch: (() => void) | undefined;

  constructor(
    opts: BlockFollowerOptions,
    modules: {
      logger: Logger;
      metrics: SamplerMetrics;
      nc: NatsConnection;
      membership: EpochSource;
      sampler: BlobSampler;
    },
  ) {
    this.opts = opts;
    this.modules = { ...modules, logger: modules.logger.child("block-follower") };
  }

  start(): void {
    for (const s of this.modules.membership.current.consensusShards) this.follow(s.id);
    this.stopWatch = this.modules.membership.onChange?.((m) => {
      for (const s of m.consensusShards) this.follow(s.id);
    });
  }

  async close(): Promise<void> {
    this.stopWatch?.();
    this.abort.abort();
    await Promise.allSettled([...this.followed.values()]);
  }

  follow(shardId: string): void {
    if (this.followed.has(shardId) || this.abort.signal.aborted) return;
    this.followed.set(shardId, this.run(shardId));
    this.modules.metrics.followedShards.set(this.followed.size);
  }

  private async run(shardId: string): Promise<void> {
    const { logger } = this.modules;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.followOnce(shardId, signal);
      } catch (err) {
        if (signal.aborted) return;
        logger.warn("Following block stream failed; retrying", { shard: shardId, err });
      }
      await sleep(2000, signal);
    }
  }

  private async startHeight(shardId: string): Promise<number> {
    const jsm = await this.modules.nc.jetstreamManager();
    try {
      const m = await jsm.streams.getMessage(finalityStream(this.opts.lane), {
        last_by_subj: finalitySubject(this.opts.lane, shardId),
      });
      return Number(fromBinary(FinalityEventSchema, m.data).height) + 1;
    } catch {
      return 1;
    }
  }

  private async followOnce(shardId: string, signal: AbortSignal): Promise<void> {
    const js = this.modules.nc.jetstream();
    const from = await this.startHeight(shardId);
    const consumer = await js.consumers.get(blocksStream(this.opts.lane, shardId), {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    const messages = await consumer.consume();
    const stop = () => messages.stop();
    signal.addEventListener("abort", stop, { once: true });
    this.modules.logger.info("Following block stream", { shard: shardId, fromHeight: from });
    try {
      for await (const m of messages) {
        const block = fromBinary(BlockSchema, m.data);
        this.modules.metrics.lag.set(
          { shard: shardId },
          Math.max(0, Date.now() - Number(block.timeMs)) / 1000,
        );
        const keys = block.entries.flatMap((e) => e.blobKeys);
        for (let i = 0; i < keys.length; i += this.opts.maxConcurrentBlobs) {
          const reports = await Promise.all(
            keys.slice(i, i + this.opts.maxConcurrentBlobs).map((k) => this.sample(shardId, k, signal)),
          );
          await this.publish(
            shardId,
            reports.filter((r) => r !== undefined),
            signal,
          );
        }
      }
    } finally {
      signal.removeEventListener("abort", stop);
      messages.stop();
    }
  }

  /** The blob's unsigned report, or undefined when it cannot be sampled (logged). */
  private async sample(
    shardId: string,
    key: Uint8Array,
    signal: AbortSignal,
  ): Promise<SampleReport | undefined> {
    const { logger, sampler } = this.modules;
    const keyHex = Buffer.from(key).toString("hex");
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const report = await sampler.sampleKey(key, undefined, signal, false);
        if (report === undefined) {
          if (attempt >= this.opts.headerRetries) {
            logger.error("Blob header unknown; not sampled", { shard: shardId, blobKey: keyHex });
            return undefined;
          }
          await sleep(this.opts.headerRetryMs, signal);
          continue;
        }
        if (!report.passed) {
          logger.warn("Sampling failed", {
            shard: shardId,
            blobKey: keyHex,
            failedCells: report.failedCells.length,
          });
        }
        return report;
      } catch (err) {
        if (signal.aborted || attempt >= this.opts.headerRetries) {
          logger.error("Sampling a blob failed", { shard: shardId, blobKey: keyHex, err });
          return undefined;
        }
        await sleep(this.opts.headerRetryMs, signal);
      }
    }
    return undefined;
  }

  /** Signs `reports` as one batch and publishes it, retrying the publish. */
  private async publish(shardId: string, reports: SampleReport[], signal: AbortSignal): Promise<void> {
    if (reports.length === 0) return;
    const { logger, sampler, nc, metrics } = this.modules;
    const batch = toBinary(SampleReportBatchSchema, sampler.signBatch(reports));
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await nc.jetstream().publish(samplesSubject(this.opts.lane, shardId), batch);
        metrics.reportsPublished.inc(reports.length);
        return;
      } catch (err) {
        if (attempt >= this.opts.headerRetries) {
          logger.error("Publishing sample reports failed", { shard: shardId, reports: reports.length, err });
          return;
        }
        await sleep(this.opts.headerRetryMs, signal);
      }
    }
  }
}
