/**
 * Every validator of a shard (the leader too): follows the block stream, checks each block
 * (chain link, hash, and every certificate against the epoch it names, with each blob's header
 * and inclusion proof from BlobInfoSource), waits until every blob of the block has a passing
 * sample report, then BLS-signs `blockSigningMessage(hash)` and publishes its BlockVote on
 * `tributary.votes.<shardId>.<height>`. A block that fails a check gets no vote, and neither
 * does any block built on it.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { BlockVoteSchema } from "@tributary/proto/tributary/events/v1/events";
import { blockSigningMessage, sign } from "@tributary/protocol";
import type { Logger } from "@tributary/runtime";
import type { JetStreamClient } from "nats";
import type { BlobInfoSource } from "./blobInfo.ts";
import type { BlockStream } from "./blockStream.ts";
import { type ChainHead, checkBlockLink, GENESIS_HEAD } from "./chain.ts";
import { type CertifiedBlobIn, checkCertifiedBlobs } from "./envelopeCheck.ts";
import type { EpochSource } from "./epochSource.ts";
import { type LaneNames, votesSubject } from "./lane.ts";
import type { ConsensusShardMetrics } from "./metrics.ts";
import type { DomainBlock } from "./protoCodec.ts";
import type { SampleReportBook } from "./sampleReportBook.ts";
import type { VerifiedCertificates } from "./verifiedCertificates.ts";

export type ValidatorOptions = {
  readonly shardId: string;
  readonly validatorId: string;
  readonly lane: LaneNames;
  readonly secretKey: Uint8Array;
  /** Attempts before warning that a blob's header/inclusion is not in Redis yet; pause between attempts. */
  readonly blobInfoRetries: number;
  readonly blobInfoRetryMs: number;
};

export type ValidatorModules = {
  readonly logger: Logger;
  readonly metrics: ConsensusShardMetrics;
  readonly js: JetStreamClient;
  readonly blocks: BlockStream;
  readonly membership: EpochSource;
  readonly blobInfo: BlobInfoSource;
  readonly book: SampleReportBook;
  /** Called with every block that passed its checks (before the vote). */
  readonly onValidBlock?: (block: DomainBlock) => void;
  readonly verified?: VerifiedCertificates;
};

export type BlockCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export class Validator {
  private readonly opts: ValidatorOptions;
  private readonly modules: ValidatorModules;
  private readonly logger: Logger;
  private head: ChainHead = GENESIS_HEAD;
  private readonly invalid = new Set<number>();
  private readonly votes = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(opts: ValidatorOptions, modules: ValidatorModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("validator", { shard: opts.shardId, validator: opts.validatorId });
  }

  /** Follows blocks from `fromHeight` (>= 1); the block below it, if any, is the trusted head. */
  async start(fromHeight: number, signal: AbortSignal): Promise<void> {
    if (fromHeight > 1) {
      const prev = await this.modules.blocks.get(fromHeight - 1);
      if (prev !== undefined) this.head = { height: prev.block.height, hash: prev.block.hash };
    }
    const blocks = this.modules.blocks.follow(fromHeight, signal);
    this.loop = (async () => {
      for await (const { block } of blocks) await this.onBlock(block, signal);
    })().catch((err: unknown) => {
      if (!signal.aborted) this.logger.error("Block follower stopped", { err });
    });
  }

  async closed(): Promise<void> {
    await this.loop;
    await Promise.allSettled([...this.votes]);
  }

  private async onBlock(block: DomainBlock, signal: AbortSignal): Promise<void> {
    const { metrics } = this.modules;
    const link = checkBlockLink(this.head, block, this.opts.shardId);
    let check: BlockCheck = link;
    if (link.ok && this.invalid.has(block.height - 1))
      check = { ok: false, reason: "parent block is invalid" };
    if (check.ok) check = await this.checkEntries(block, signal);
    this.head = { height: block.height, hash: block.hash };
    metrics.headHeight.set(block.height);
    if (!check.ok) {
      this.invalid.add(block.height);
      metrics.blocksChecked.inc({ result: "invalid" });
      this.logger.error("Invalid block: no vote", { height: block.height, reason: check.reason });
      return;
    }
    metrics.blocksChecked.inc({ result: "valid" });
    this.modules.onValidBlock?.(block);
    const task = this.voteWhenSampled(block, signal).catch((err: unknown) => {
      if (!signal.aborted) this.logger.error("Vote failed", { height: block.height, err });
    });
    this.votes.add(task);
    void task.finally(() => this.votes.delete(task));
  }

  /** Every entry's certificate, against the epoch it names (exposed for tests). */
  async checkEntries(block: DomainBlock, signal?: AbortSignal): Promise<BlockCheck> {
    const seen = new Set<string>();
    for (const [i, entry] of block.entries.entries()) {
      let epoch: Awaited<ReturnType<EpochSource["epoch"]>>;
      try {
        epoch = await this.modules.membership.epoch(entry.certificate.batchHeader.epoch);
      } catch {
        return { ok: false, reason: `entry ${i}: unknown epoch ${entry.certificate.batchHeader.epoch}` };
      }
      const blobs: CertifiedBlobIn[] = [];
      for (const key of entry.blobKeys) {
        const hex = Buffer.from(key).toString("hex");
        if (seen.has(hex)) return { ok: false, reason: `blob ${hex} twice in the block` };
        seen.add(hex);
        const info = await this.blobInfo(key, signal);
        if (info?.inclusion === undefined)
          return { ok: false, reason: `blob ${hex}: header or inclusion unknown` };
        blobs.push({ header: info.header, inclusion: info.inclusion, expectedKey: key });
      }
      const check = checkCertifiedBlobs(
        entry.certificate,
        blobs,
        epoch,
        this.opts.shardId,
        entry.certificate.batchHeader.blobCount,
        this.modules.verified,
      );
      if (!check.ok) return { ok: false, reason: `entry ${i}: ${check.reason}` };
    }
    return { ok: true };
  }

  /**
   * A blob's header and inclusion, waiting while they are not in Redis yet: missing data is a
   * timing problem (or Redis is down), never a reason to call the block invalid.
   */
  private async blobInfo(key: Uint8Array, signal?: AbortSignal) {
    for (let attempt = 1; ; attempt++) {
      const info = await this.modules.blobInfo.get(key).catch((err: unknown) => {
        this.logger.warn("Reading blob info failed", { err });
        return undefined;
      });
      if (info?.inclusion !== undefined || signal?.aborted) return info;
      if (attempt === this.opts.blobInfoRetries) {
        this.logger.warn("Blob header or inclusion still unknown; waiting", {
          blobKey: Buffer.from(key).toString("hex"),
        });
      }
      await new Promise((r) => setTimeout(r, this.opts.blobInfoRetryMs));
    }
  }

  private async voteWhenSampled(block: DomainBlock, signal: AbortSignal): Promise<void> {
    const keys = block.entries.flatMap((e) => e.blobKeys.map((k) => Buffer.from(k).toString("hex")));
    await this.modules.book.waitForPassed(keys, signal);
    const epoch = await this.modules.membership.epoch(block.epoch);
    const shard = epoch.consensusShards.find((s) => s.id === this.opts.shardId);
    if (shard?.validators.some((v) => v.id === this.opts.validatorId) !== true) {
      this.logger.debug("Not a validator of this shard in the block's epoch; no vote", {
        height: block.height,
      });
      return;
    }
    const vote = create(BlockVoteSchema, {
      shardId: this.opts.shardId,
      height: BigInt(block.height),
      blockHash: block.hash,
      validatorId: this.opts.validatorId,
      signature: sign(this.opts.secretKey, blockSigningMessage(block.hash)),
    });
    await this.modules.js.publish(
      votesSubject(this.opts.lane, this.opts.shardId, block.height),
      toBinary(BlockVoteSchema, vote),
      { msgID: `${this.opts.shardId}.${block.height}.${this.opts.validatorId}` },
    );
    this.logger.debug("Voted", { height: block.height });
  }
}
