/**
 * Finality (published by the leader): reads every vote of the shard (`tributary.votes.<shardId>.>`,
 * ordered consumer over the 1 h vote stream), aggregates them per height against the validators
 * of the block's epoch (voteAggregator.ts), and once >= 2/3 of the weight signed — and this
 * process holds the lease — publishes the FinalityEvent (msgID per height, so a second leader's
 * copy is dropped) and sets FINALIZED for every blob of the block. A process that becomes leader
 * publishes whatever its aggregators already completed.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BlockVoteSchema, FinalityEventSchema } from "@tributary/proto/tributary/events/v1/events";
import type { Logger } from "@tributary/runtime";
import { DeliverPolicy, type JetStreamClient } from "nats";
import type { BlobInfoSource } from "./blobInfo.ts";
import type { BlockStream } from "./blockStream.ts";
import { blockBlobs } from "./chain.ts";
import type { EpochSource } from "./epochSource.ts";
import type { FinalityTracker } from "./finalityTracker.ts";
import { finalitySubject, type LaneNames, votesFilter, votesStream } from "./lane.ts";
import type { ConsensusShardMetrics } from "./metrics.ts";
import type { DomainBlock } from "./protoCodec.ts";
import type { StatusWriter } from "./statusWriter.ts";
import { VoteAggregator } from "./voteAggregator.ts";

export type FinalizerModules = {
  readonly logger: Logger;
  readonly metrics: ConsensusShardMetrics;
  readonly js: JetStreamClient;
  readonly blocks: BlockStream;
  readonly membership: EpochSource;
  readonly finality: FinalityTracker;
  readonly statusWriter: StatusWriter;
  readonly blobInfo: BlobInfoSource;
  readonly isLeader: () => boolean;
};

type Round = { block: DomainBlock; aggregator: VoteAggregator; published: boolean };

export class Finalizer {
  private readonly shardId: string;
  private readonly lane: LaneNames;
  private readonly modules: FinalizerModules;
  private readonly logger: Logger;
  private readonly rounds = new Map<number, Round>();
  private loop: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: { shardId: string; lane: LaneNames }, modules: FinalizerModules) {
    this.shardId = opts.shardId;
    this.lane = opts.lane;
    this.modules = modules;
    this.logger = modules.logger.child("finalizer", { shard: opts.shardId });
  }

  async start(signal: AbortSignal): Promise<void> {
    const consumer = await this.modules.js.consumers.get(votesStream(this.lane), {
      filterSubjects: votesFilter(this.lane, this.shardId),
      // StartSequence 1, not DeliverPolicy.All: nats.js 2.29 ordered consumers hang on "All" (opt_start_seq is sent with it).
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
    });
    const messages = await consumer.consume();
    signal.addEventListener("abort", () => messages.stop(), { once: true });
    this.loop = (async () => {
      for await (const m of messages) {
        try {
          await this.onVote(m.data);
        } catch (err) {
          this.logger.warn("Vote not processed", { err });
        }
      }
    })().catch((err: unknown) => {
      if (!signal.aborted) this.logger.error("Vote reader stopped", { err });
    });
  }

  async closed(): Promise<void> {
    await this.loop;
    await this.chain;
  }

  /** Lease acquired: publish every round that already reached 2/3. */
  onLeadership(held: boolean): void {
    if (!held) return;
    this.chain = this.chain
      .then(async () => {
        for (const [height, round] of [...this.rounds].sort((a, b) => a[0] - b[0])) {
          if (round.aggregator.reached) await this.finalize(height, round);
        }
      })
      .catch((err: unknown) => this.logger.error("Finalizing after a leadership change failed", { err }));
  }

  private async onVote(data: Uint8Array): Promise<void> {
    const { metrics } = this.modules;
    const vote = fromBinary(BlockVoteSchema, data);
    const height = Number(vote.height);
    if (vote.shardId !== this.shardId || this.modules.finality.has(height)) return;
    let round = this.rounds.get(height);
    if (round === undefined) {
      const stored = await this.modules.blocks.get(height);
      if (stored === undefined) {
        metrics.votes.inc({ result: "unknown_block" });
        return;
      }
      const epoch = await this.modules.membership.epoch(stored.block.epoch);
      const validators = epoch.consensusShards.find((s) => s.id === this.shardId)?.validators ?? [];
      round = {
        block: stored.block,
        aggregator: new VoteAggregator(validators, stored.block.hash),
        published: false,
      };
      this.rounds.set(height, round);
    }
    const result = round.aggregator.offer(vote.validatorId, vote.blockHash, vote.signature);
    metrics.votes.inc({ result });
    if (result !== "accepted") {
      if (result !== "duplicate")
        this.logger.warn("Vote rejected", { height, validator: vote.validatorId, result });
      return;
    }
    if (round.aggregator.reached) {
      const r = round;
      this.chain = this.chain
        .then(() => this.finalize(height, r))
        .catch((err: unknown) => {
          // Never leave the chain rejected: every later height would silently stop finalizing.
          this.logger.error("Finalizing a block failed", { height, err });
        });
      await this.chain;
    }
  }

  private async finalize(height: number, round: Round): Promise<void> {
    if (round.published || !this.modules.isLeader() || this.modules.finality.has(height)) return;
    const { block } = round;
    const proof = round.aggregator.proof();
    const epoch = block.epoch;
    const event = create(FinalityEventSchema, {
      shardId: this.shardId,
      height: BigInt(height),
      blockHash: block.hash,
      validatorBitmap: proof.validatorBitmap,
      aggregateSignature: proof.aggregateSignature,
      epoch: BigInt(epoch),
    });
    // A publish that times out (a loaded JetStream) is retried while this process leads: the
    // msgID makes a duplicate harmless, and giving up would leave the height unfinalized.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.modules.js.publish(
          finalitySubject(this.lane, this.shardId),
          toBinary(FinalityEventSchema, event),
          { msgID: `finality.${this.shardId}.${height}` },
        );
        break;
      } catch (err) {
        if (!this.modules.isLeader()) return;
        this.logger.warn("Publishing finality failed; retrying", { height, attempt, err });
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * attempt)));
      }
    }
    round.published = true;
    this.modules.finality.record(event);
    this.modules.metrics.finalityLatency.observe(Math.max(0, Date.now() - block.timeMs) / 1000);
    this.logger.info("Block final", { height, voters: round.aggregator.voters });
    const blobs = await Promise.all(
      blockBlobs(block).map(async (b) => ({
        blobKey: b.blobKey,
        index: b.index,
        namespace: (await this.modules.blobInfo.get(b.blobKey).catch(() => undefined))?.header.namespace,
      })),
    );
    try {
      await this.modules.statusWriter.write("FINALIZED", height, block.hash, blobs);
    } catch (err) {
      this.logger.error("Could not record FINALIZED", { height, err });
    }
    this.rounds.delete(height);
  }
}
