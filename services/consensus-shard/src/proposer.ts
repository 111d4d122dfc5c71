/**
 * The leader's side of a consensus shard: while it holds the lease, it pulls certificate
 * envelopes (durable consumer `leader-<shardId>` on `tributary.certs.<shardId>`), checks them
 * (envelopeCheck.ts), drops blobs already ordered, and every `blockIntervalMs` publishes one
 * block of up to `maxBlockEntries` certificates at height = head + 1 with
 * `expect.lastSequence = head` (exactly one block per height; a refused publish means another
 * leader won the height: re-read the head, drop what it ordered, try again next tick).
 * Only after the publish ack are the envelopes acked and the blobs set CONFIRMED.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { blobHeaderFromProto, certificateFromProto, inclusionFromProto } from "@tributary/proto";
import { BlockSchema } from "@tributary/proto/tributary/consensus/v1/consensus";
import {
  type CertificateEnvelope,
  CertificateEnvelopeSchema,
} from "@tributary/proto/tributary/events/v1/events";
import type { BlockEntryContent, Certificate } from "@tributary/protocol";
import type { Logger } from "@tributary/runtime";
import { sleep } from "@tributary/runtime";
import { AckPolicy, type JsMsg, type NatsConnection, nanos } from "nats";
import type { BlockStream } from "./blockStream.ts";
import { blockBlobs, buildBlock, type ChainHead, GENESIS_HEAD } from "./chain.ts";
import { type AcceptedBlob, checkCertifiedBlobs } from "./envelopeCheck.ts";
import type { EpochSource } from "./epochSource.ts";
import { blocksSubject, certsStream, certsSubject, type LaneNames } from "./lane.ts";
import type { ConsensusShardMetrics } from "./metrics.ts";
import { blockToProto } from "./protoCodec.ts";
import type { StatusWriter } from "./statusWriter.ts";
import type { VerifiedCertificates } from "./verifiedCertificates.ts";

export type ProposerOptions = {
  readonly shardId: string;
  readonly validatorId: string;
  readonly lane: LaneNames;
  readonly blockIntervalMs: number;
  readonly maxBlockEntries: number;
  readonly certsAckWaitMs: number;
};

export type ProposerModules = {
  readonly logger: Logger;
  readonly metrics: ConsensusShardMetrics;
  readonly nc: NatsConnection;
  readonly blocks: BlockStream;
  readonly membership: EpochSource;
  readonly statusWriter: StatusWriter;
  readonly verified?: VerifiedCertificates;
};

type PendingItem = {
  readonly msgs: JsMsg[];
  readonly certificate: Certificate;
  /** Every blob of the envelope (settled once all are in blocks). */
  readonly keys: readonly string[];
  /** The blobs this item still has to get into a block. */
  fresh: AcceptedBlob[];
};

/** JetStream API error: "wrong last sequence". */
const WRONG_LAST_SEQUENCE = 10071;

export function isWrongLastSequence(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string } | null;
  return e?.api_error?.err_code === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(e?.message ?? "");
}

export class Proposer {
  private readonly opts: ProposerOptions;
  private readonly modules: ProposerModules;
  private readonly logger: Logger;
  private head: ChainHead = GENESIS_HEAD;
  private readonly included = new Set<string>();
  private pending: PendingItem[] = [];
  private readonly pendingKeys = new Set<string>();
  private running: AbortController | undefined;
  private loops: Promise<void>[] = [];

  constructor(opts: ProposerOptions, modules: ProposerModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("proposer", { shard: opts.shardId });
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Called when the lease is acquired. */
  async start(): Promise<void> {
    if (this.running !== undefined) return;
    const running = new AbortController();
    this.running = running;
    try {
      await this.sync();
      await this.ensureConsumer();
    } catch (err) {
      this.logger.error("Proposer could not start; will retry on the next lease change", { err });
      this.running = undefined;
      throw err;
    }
    this.logger.info("Proposing blocks", { head: this.head.height });
    this.loops = [this.fetchLoop(running.signal), this.blockLoop(running.signal)];
  }

  /** Called when the lease is lost or on shutdown: stop, release pending envelopes at once. */
  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    running.abort();
    this.running = undefined;
    await Promise.allSettled(this.loops);
    this.loops = [];
    for (const item of this.pending) for (const m of item.msgs) m.nak();
    this.pending = [];
    this.pendingKeys.clear();
    this.logger.info("Stopped proposing");
  }

  /** Reads blocks this proposer has not seen yet: head and the set of ordered blob keys. */
  private async sync(): Promise<void> {
    const top = await this.modules.blocks.headHeight();
    for (let h = this.head.height + 1; h <= top; h++) {
      const b = await this.modules.blocks.get(h);
      if (b === undefined) throw new Error(`block ${h} missing`);
      for (const e of b.block.entries)
        for (const k of e.blobKeys) this.included.add(Buffer.from(k).toString("hex"));
      this.head = { height: h, hash: b.block.hash };
    }
  }

  private consumerName(): string {
    return `leader-${this.opts.shardId}`;
  }

  private async ensureConsumer(): Promise<void> {
    const jsm = await this.modules.nc.jetstreamManager();
    const stream = certsStream(this.opts.lane);
    const name = this.consumerName();
    const existing = await jsm.consumers.info(stream, name).catch(() => undefined);
    if (existing === undefined) {
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(this.opts.certsAckWaitMs),
        max_deliver: -1,
        filter_subject: certsSubject(this.opts.lane, this.opts.shardId),
      });
    }
  }

  /**
   * One continuous pull (`consume`), not repeated `fetch` calls: a message the server hands to a
   * fetch just as it expires is dropped by the client and comes back only after the ack wait,
   * which let later certificates overtake it.
   */
  private async fetchLoop(signal: AbortSignal): Promise<void> {
    const consumer = await this.modules.nc
      .jetstream()
      .consumers.get(certsStream(this.opts.lane), this.consumerName());
    while (!signal.aborted) {
      try {
        const messages = await consumer.consume({ max_messages: 256 });
        const stop = () => messages.stop();
        signal.addEventListener("abort", stop, { once: true });
        try {
          for await (const msg of messages) {
            if (signal.aborted) {
              msg.nak();
              continue;
            }
            await this.onEnvelope(msg);
          }
        } finally {
          signal.removeEventListener("abort", stop);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.logger.warn("Consuming certificates failed; retrying", { err });
        await sleep(500, signal);
      }
    }
  }

  private async onEnvelope(msg: JsMsg): Promise<void> {
    const { metrics } = this.modules;
    let envelope: CertificateEnvelope;
    let certificate: Certificate;
    try {
      envelope = fromBinary(CertificateEnvelopeSchema, msg.data);
      if (envelope.certificate === undefined) throw new Error("no certificate");
      certificate = certificateFromProto(envelope.certificate);
    } catch (err) {
      metrics.certificates.inc({ result: "rejected" });
      this.logger.warn("Malformed certificate envelope, terminated", { seq: msg.seq, err });
      msg.term();
      return;
    }
    let epoch: Awaited<ReturnType<EpochSource["epoch"]>>;
    try {
      epoch = await this.modules.membership.epoch(certificate.batchHeader.epoch);
    } catch (err) {
      this.logger.warn("Certificate names an unknown epoch; retrying later", {
        epoch: certificate.batchHeader.epoch,
        err,
      });
      msg.nak(1000);
      return;
    }
    let check: ReturnType<typeof checkCertifiedBlobs>;
    try {
      check = checkCertifiedBlobs(
        certificate,
        envelope.blobs.map((b) => {
          if (b.header === undefined || b.inclusion === undefined)
            throw new Error("blob without header or inclusion");
          return { header: blobHeaderFromProto(b.header), inclusion: inclusionFromProto(b.inclusion) };
        }),
        epoch,
        this.opts.shardId,
        envelope.batchBlobCount,
        this.modules.verified,
      );
    } catch (err) {
      check = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    if (!check.ok) {
      metrics.certificates.inc({ result: "rejected" });
      this.logger.warn("Certificate rejected", { seq: msg.seq, reason: check.reason });
      msg.term();
      return;
    }
    const keys = check.blobs.map((b) => Buffer.from(b.blobKey).toString("hex"));
    const fresh = check.blobs.filter(
      (_, i) => !this.included.has(keys[i]!) && !this.pendingKeys.has(keys[i]!),
    );
    for (const b of fresh) this.pendingKeys.add(Buffer.from(b.blobKey).toString("hex"));
    metrics.certificates.inc({ result: fresh.length === 0 ? "duplicate" : "accepted" });
    this.pending.push({ msgs: [msg], certificate, keys, fresh });
  }

  private async blockLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.opts.blockIntervalMs, signal);
      if (signal.aborted) return;
      try {
        await this.proposeOnce();
      } catch (err) {
        this.logger.warn("Block proposal failed; retrying next interval", { err });
      }
    }
  }

  /** Publishes one block from the pending envelopes, if any (exposed for tests). */
  async proposeOnce(): Promise<boolean> {
    this.settleOrdered();
    const chosen: PendingItem[] = [];
    for (const item of this.pending) {
      if (item.fresh.length === 0) continue;
      if (chosen.length >= this.opts.maxBlockEntries) break;
      chosen.push(item);
    }
    if (chosen.length === 0) return false;
    const entries: BlockEntryContent[] = chosen.map((i) => ({
      certificate: i.certificate,
      blobKeys: i.fresh.map((b) => b.blobKey),
    }));
    const block = buildBlock(this.head, {
      shardId: this.opts.shardId,
      epoch: this.modules.membership.current.epoch,
      timeMs: Date.now(),
      proposer: this.opts.validatorId,
      entries,
    });
    try {
      const ack = await this.modules.nc
        .jetstream()
        .publish(
          blocksSubject(this.opts.lane, this.opts.shardId),
          toBinary(BlockSchema, blockToProto(block)),
          {
            expect: { lastSequence: this.head.height },
          },
        );
      if (ack.seq !== block.height)
        throw new Error(`block stored at sequence ${ack.seq}, height ${block.height}`);
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
      this.modules.metrics.blockConflicts.inc();
      this.logger.info("Another leader published this height; catching up", { height: block.height });
      await this.sync();
      for (const item of this.pending) {
        item.fresh = item.fresh.filter((b) => !this.included.has(Buffer.from(b.blobKey).toString("hex")));
      }
      return false;
    }
    this.head = { height: block.height, hash: block.hash };
    const namespaces = new Map<string, Uint8Array>();
    for (const item of chosen) {
      for (const b of item.fresh) {
        const hex = Buffer.from(b.blobKey).toString("hex");
        this.included.add(hex);
        this.pendingKeys.delete(hex);
        namespaces.set(hex, b.header.namespace);
      }
      item.fresh = [];
    }
    this.modules.metrics.blocksPublished.inc();
    this.modules.metrics.blockEntries.observe(entries.length);
    this.logger.info("Block published", {
      height: block.height,
      entries: entries.length,
      hash: Buffer.from(block.hash).toString("hex"),
    });
    this.settleOrdered();
    try {
      await this.modules.statusWriter.write(
        "CONFIRMED",
        block.height,
        block.hash,
        blockBlobs(block).map((b) => ({
          blobKey: b.blobKey,
          index: b.index,
          namespace: namespaces.get(Buffer.from(b.blobKey).toString("hex")),
        })),
      );
    } catch (err) {
      this.logger.error("Could not record CONFIRMED (FINALIZED will carry the fields)", {
        height: block.height,
        err,
      });
    }
    return true;
  }

  /** Acks every envelope whose blobs are all in published blocks. */
  private settleOrdered(): void {
    const keep: PendingItem[] = [];
    for (const item of this.pending) {
      if (item.fresh.length === 0 && item.keys.every((k) => this.included.has(k))) {
        for (const m of item.msgs) m.ack();
      } else {
        keep.push(item);
      }
    }
    this.pending = keep;
  }
}
