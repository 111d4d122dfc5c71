/**
 * One consensus-shard validator process, composed: streams and the lease bucket ensured, then
 * (in start order) the finality tracker, the sample-report reader, the validator following the
 * block stream, the vote aggregator (finalizer), and the leader lease, which starts and stops
 * the proposer. `close` tears down in reverse.
 */
import type { BlobStatusStore, Logger } from "@tributary/runtime";
import { ensureKv, ensureStream } from "@tributary/runtime";
import type { Redis } from "ioredis";
import type { KV, NatsConnection } from "nats";
import { type BlobInfoSource, RedisBlobInfo } from "./blobInfo.ts";
import { BlockStream } from "./blockStream.ts";
import type { EpochSource } from "./epochSource.ts";
import { FinalityTracker } from "./finalityTracker.ts";
import { Finalizer } from "./finalizer.ts";
import { blocksStream, consensusStreams, type LaneNames } from "./lane.ts";
import { LeaderLease } from "./leaderLease.ts";
import type { ConsensusShardMetrics } from "./metrics.ts";
import { Proposer } from "./proposer.ts";
import { SampleIntake } from "./sampleIntake.ts";
import { SampleReportBook } from "./sampleReportBook.ts";
import { StatusWriter } from "./statusWriter.ts";
import { Validator } from "./validator.ts";
import { VerifiedCertificates } from "./verifiedCertificates.ts";

export type ConsensusShardOptions = {
  readonly shardId: string;
  readonly validatorId: string;
  readonly secretKey: Uint8Array;
  readonly lane: LaneNames;
  readonly replicas: number;
  readonly blockIntervalMs: number;
  readonly maxBlockEntries: number;
  readonly leaseRenewMs: number;
  readonly leaseTtlMs: number;
  readonly certsAckWaitMs: number;
  readonly samplerKeys: ReadonlyMap<string, Uint8Array>;
  readonly blobInfoRetries: number;
  readonly blobInfoRetryMs: number;
};

export type ConsensusShardModules = {
  readonly logger: Logger;
  readonly metrics: ConsensusShardMetrics;
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly statusStore: BlobStatusStore;
  readonly membership: EpochSource;
  /** Defaults to the blob hashes in Redis. */
  readonly blobInfo?: BlobInfoSource;
};

export class ConsensusShardNode {
  readonly opts: ConsensusShardOptions;
  private readonly modules: ConsensusShardModules;
  private readonly logger: Logger;
  private readonly abort = new AbortController();
  readonly finality: FinalityTracker;
  readonly book = new SampleReportBook();
  /** Shared by the gRPC intake, the proposer and the validator of this process. */
  readonly verifiedCertificates = new VerifiedCertificates();
  blocks!: BlockStream;
  private lease: LeaderLease | undefined;
  private proposer: Proposer | undefined;
  private validator: Validator | undefined;
  private finalizer: Finalizer | undefined;
  private intake: SampleIntake | undefined;
  private leaseChanges: Promise<void> = Promise.resolve();
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(opts: ConsensusShardOptions, modules: ConsensusShardModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("consensus-shard", {
      shard: opts.shardId,
      validator: opts.validatorId,
    });
    this.finality = new FinalityTracker(opts.shardId, opts.lane);
  }

  get isLeader(): boolean {
    return this.lease?.held ?? false;
  }

  async start(): Promise<void> {
    const { nc, metrics, membership, logger } = this.modules;
    const signal = this.abort.signal;
    const js = nc.jetstream();
    const jsm = await nc.jetstreamManager();
    for (const config of consensusStreams(this.opts.lane, this.opts.shardId, this.opts.replicas)) {
      await ensureStream(jsm, config);
    }
    const kv: KV = await ensureKv(js, this.opts.lane.leaseBucket, {
      ttl: this.opts.leaseTtlMs,
      history: 1,
      replicas: this.opts.replicas,
    });
    this.blocks = new BlockStream(blocksStream(this.opts.lane, this.opts.shardId), { jsm, js });
    const blobInfo = this.modules.blobInfo ?? new RedisBlobInfo(this.modules.redis);
    const statusWriter = new StatusWriter(this.opts.shardId, {
      store: this.modules.statusStore,
      redis: this.modules.redis,
    });

    await this.finality.start(js, signal, this.logger);
    this.intake = new SampleIntake(
      { shardId: this.opts.shardId, lane: this.opts.lane, samplerKeys: this.opts.samplerKeys },
      { logger, metrics, js, book: this.book },
    );
    await this.intake.start(signal);
    this.validator = new Validator(
      {
        shardId: this.opts.shardId,
        validatorId: this.opts.validatorId,
        lane: this.opts.lane,
        secretKey: this.opts.secretKey,
        blobInfoRetries: this.opts.blobInfoRetries,
        blobInfoRetryMs: this.opts.blobInfoRetryMs,
      },
      {
        logger,
        metrics,
        js,
        blocks: this.blocks,
        membership,
        blobInfo,
        book: this.book,
        verified: this.verifiedCertificates,
      },
    );
    // Heights already final need no vote; start right after the contiguous final prefix.
    await this.validator.start(this.finality.contiguousFinalHeight() + 1, signal);
    this.finalizer = new Finalizer(
      { shardId: this.opts.shardId, lane: this.opts.lane },
      {
        logger,
        metrics,
        js,
        blocks: this.blocks,
        membership,
        finality: this.finality,
        statusWriter,
        blobInfo,
        isLeader: () => this.isLeader,
      },
    );
    await this.finalizer.start(signal);
    this.proposer = new Proposer(
      {
        shardId: this.opts.shardId,
        validatorId: this.opts.validatorId,
        lane: this.opts.lane,
        blockIntervalMs: this.opts.blockIntervalMs,
        maxBlockEntries: this.opts.maxBlockEntries,
        certsAckWaitMs: this.opts.certsAckWaitMs,
      },
      {
        logger,
        metrics,
        nc,
        blocks: this.blocks,
        membership,
        statusWriter,
        verified: this.verifiedCertificates,
      },
    );
    this.lease = new LeaderLease(
      { key: this.opts.shardId, holderId: this.opts.validatorId, renewMs: this.opts.leaseRenewMs },
      { kv, logger: this.logger, onChange: (held) => this.onLeaseChange(held) },
    );
    this.lease.start();
    this.pruneTimer = setInterval(() => this.book.prune(), 60_000);
    this.pruneTimer.unref();
  }

  private onLeaseChange(held: boolean): void {
    this.modules.metrics.leaseHeld.set(held ? 1 : 0);
    this.leaseChanges = this.leaseChanges.then(async () => {
      if (this.abort.signal.aborted) return;
      try {
        if (held && this.lease?.held === true) {
          await this.proposer?.start();
          this.finalizer?.onLeadership(true);
        } else if (!held) {
          await this.proposer?.stop();
        }
      } catch (err) {
        this.logger.error("Leadership change failed", { held, err });
      }
    });
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.lease?.stop();
    await this.leaseChanges;
    await this.proposer?.stop();
    this.abort.abort();
    await this.finalizer?.closed();
    await this.validator?.closed();
    await this.intake?.closed();
    await this.finality.closed();
    this.modules.metrics.leaseHeld.set(0);
  }
}
