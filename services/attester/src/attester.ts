/**
 * The attester process logic around NATS and Redis: a durable pull consumer on the encoded
 * stream feeds the batcher; each batch is certified (certifier.ts) and then, in this order:
 *   1. every blob goes CERTIFIED in Redis with its certificate and inclusion proof;
 *   2. one CertificateEnvelope per consensus shard owning some of the batch's namespaces is
 *      published (with a publish ack; msgID = batch root + shard, so a retry is deduplicated);
 *   3. the encoded events are acked.
 * A batch below the threshold is retried in place (events kept alive); one that cannot be
 * processed at all (unknown epoch, publish failure) is nak'ed (redelivered later): an event is never
 * acked without a certificate. An event whose header fails validation marks the blob FAILED
 * (ATTESTER_ERROR_INVALID_HEADER) and is terminated.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  blobHeaderFromProto,
  blobHeaderToProto,
  certificateToProto,
  inclusionToProto,
} from "@tributary/proto";
import { BlobInclusionSchema, CertificateSchema } from "@tributary/proto/tributary/common/v1/certificate";
import {
  type CertificateEnvelope,
  CertificateEnvelopeSchema,
  type CertifiedBlobRef,
  CertifiedBlobRefSchema,
  EncodedEventSchema,
} from "@tributary/proto/tributary/events/v1/events";
import {
  type BlobHeader,
  blobKey,
  consensusShardForNamespace,
  type EpochMembership,
  validateBlobHeader,
} from "@tributary/protocol";
import { type BlobStatusStore, ensureStream, type Logger } from "@tributary/runtime";
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  type NatsConnection,
  nanos,
} from "nats";
import { type Batch, Batcher } from "./batcher.ts";
import { inclusionProofs, planBatch } from "./batchPlan.ts";
import { type BatchSigner, type CertifierOptions, certifyBatch } from "./certifier.ts";
import { AttesterErrorCode } from "./errors.ts";
import {
  certsStreamConfig,
  certsSubject,
  encodedStream,
  encodedStreamConfig,
  encodedSubject,
  type LaneNames,
} from "./lane.ts";
import type { AttesterMetrics } from "./metrics.ts";

/** Where epochs come from: runtime's MembershipView in production, a fixed map in tests. */
export interface EpochSource {
  epoch(n: number): Promise<EpochMembership>;
}

export type AttesterOptions = CertifierOptions & {
  readonly attesterId: string;
  readonly lane: LaneNames;
  readonly replicas: number;
  readonly consumerName: string;
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  readonly maxBatchBlobs: number;
  readonly maxBatchDelayMs: number;
  readonly maxBatchesInFlight: number;
  readonly nakDelayMs: number;
};

export type AttesterModules = {
  readonly logger: Logger;
  readonly metrics: AttesterMetrics;
  readonly nc: NatsConnection;
  readonly statusStore: BlobStatusStore;
  readonly membership: EpochSource;
  readonly signer: BatchSigner;
};

type Pending = { header: BlobHeader; blobKey: Uint8Array; arrivedAtMs: number };

export class Attester {
  private readonly opts: AttesterOptions;
  private readonly modules: AttesterModules;
  private readonly logger: Logger;
  private readonly batcher: Batcher<Pending, JsMsg>;
  private readonly abort = new AbortController();
  private readonly queue: Batch<Pending, JsMsg>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * Batches are certified concurrently but published in the order they were cut, and a batch
   * that misses the threshold is retried in place rather than released: both keep every
   * namespace's blobs in the order the disperser acknowledged them.
   */
  private readonly publishOrder = new PublishTurnstile();
  private messages: ConsumerMessages | undefined;
  private consumeLoop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: AttesterOptions, modules: AttesterModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("attester");
    this.batcher = new Batcher({ maxBatchBlobs: opts.maxBatchBlobs, maxBatchDelayMs: opts.maxBatchDelayMs });
  }

  /** Creates the streams and the durable consumer (idempotent), then starts consuming. */
  async start(): Promise<void> {
    const { nc } = this.modules;
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, encodedStreamConfig(this.opts.lane, this.opts.replicas));
    await ensureStream(jsm, certsStreamConfig(this.opts.lane, this.opts.replicas));
    const stream = encodedStream(this.opts.lane);
    const config = {
      durable_name: this.opts.consumerName,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.opts.ackWaitMs),
      max_ack_pending: this.opts.maxAckPending,
      max_deliver: -1,
      deliver_policy: DeliverPolicy.All,
      filter_subject: encodedSubject(this.opts.lane),
    };
    const existing = await jsm.consumers.info(stream, this.opts.consumerName).catch(() => undefined);
    if (existing === undefined) await jsm.consumers.add(stream, config);
    else
      await jsm.consumers.update(stream, this.opts.consumerName, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    const consumer = await nc.jetstream().consumers.get(stream, this.opts.consumerName);
    this.messages = await consumer.consume({ max_messages: Math.min(1024, this.opts.maxAckPending) });
    const messages = this.messages;
    this.consumeLoop = (async () => {
      for await (const msg of messages) this.onMessage(msg);
    })().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.logger.error("Encoded event consumer stopped", { err });
    });
    this.logger.info("Attester consuming", { stream, consumer: this.opts.consumerName });
  }

  /** Stops consuming, releases pending events (nak) and waits for batches in flight. */
  async close(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    this.messages?.stop();
    await this.consumeLoop;
    for (const batch of [...this.queue.splice(0), ...this.batcher.takeAll()]) this.release(batch, 0);
    this.modules.metrics.pendingBlobs.set(0);
    await Promise.allSettled([...this.inFlight]);
  }

  private onMessage(msg: JsMsg): void {
    const { metrics } = this.modules;
    let header: BlobHeader;
    let key: Uint8Array;
    let event: ReturnType<typeof decodeEvent>;
    try {
      event = decodeEvent(msg.data);
    } catch (err) {
      metrics.events.inc({ result: "malformed" });
      this.logger.warn("Malformed encoded event, terminated", { seq: msg.seq, err });
      msg.term();
      return;
    }
    try {
      if (event.header === undefined) throw new Error("encoded event has no header");
      header = blobHeaderFromProto(event.header);
      validateBlobHeader(header);
      key = blobKey(header);
    } catch (err) {
      metrics.events.inc({ result: "invalid_header" });
      void this.failInvalid(msg, event.receipts[0]?.blobKey, err);
      return;
    }
    metrics.events.inc({ result: "batched" });
    const keyHex = Buffer.from(key).toString("hex");
    const full = this.batcher.add(
      header.epoch,
      keyHex,
      { header, blobKey: key, arrivedAtMs: Date.now() },
      msg,
      Date.now(),
    );
    if (full !== undefined) this.enqueue(full);
    this.modules.metrics.pendingBlobs.set(this.batcher.size);
    this.schedule();
  }

  private async failInvalid(msg: JsMsg, keyHint: Uint8Array | undefined, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn("Encoded event with an invalid header", { seq: msg.seq, error: message });
    try {
      if (keyHint !== undefined && keyHint.length === 32) {
        await this.modules.statusStore.transition(keyHint, "FAILED", {
          failureCode: AttesterErrorCode.invalidHeader,
          failureMessage: message,
        });
      }
      msg.term();
    } catch (e) {
      this.logger.error("Could not mark blob FAILED; event will be redelivered", { err: e });
      msg.nak(this.opts.nakDelayMs);
    }
  }

  /** Arms the timer for the next batch that falls due. */
  private schedule(): void {
    if (this.abort.signal.aborted) return;
    clearTimeout(this.timer);
    const at = this.batcher.nextDueAtMs();
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        for (const batch of this.batcher.takeDue(Date.now())) this.enqueue(batch);
        this.modules.metrics.pendingBlobs.set(this.batcher.size);
        this.schedule();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private enqueue(batch: Batch<Pending, JsMsg>): void {
    this.queue.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < this.opts.maxBatchesInFlight && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      const turn = this.publishOrder.take();
      const task = this.process(batch, turn)
        .catch((err: unknown) => {
          this.logger.error("Batch failed unexpectedly; events released", { err });
          this.release(batch, this.opts.nakDelayMs);
        })
        .finally(() => this.publishOrder.done(turn));
      this.inFlight.add(task);
      this.modules.metrics.inFlightBatches.set(this.inFlight.size);
      void task.finally(() => {
        this.inFlight.delete(task);
        this.modules.metrics.inFlightBatches.set(this.inFlight.size);
        if (!this.abort.signal.aborted) this.pump();
      });
    }
  }

  private release(batch: Batch<Pending, JsMsg>, delayMs: number): void {
    for (const entry of batch.entries) for (const msg of entry.refs) msg.nak(delayMs);
  }

  private async process(batch: Batch<Pending, JsMsg>, turn: number): Promise<void> {
    const { metrics, statusStore, nc } = this.modules;
    let epoch: EpochMembership;
    try {
      epoch = await this.modules.membership.epoch(batch.epoch);
    } catch (err) {
      metrics.batches.inc({ result: "unknown_epoch" });
      this.logger.warn("Batch names an unknown epoch; events released", { epoch: batch.epoch, err });
      this.release(batch, this.opts.nakDelayMs);
      return;
    }
    const firstArrival = Math.min(...batch.entries.map((e) => e.value.arrivedAtMs));
    const plan = planBatch(
      epoch,
      batch.entries.map((e) => ({ blobKey: e.value.blobKey, header: e.value.header })),
      this.opts.attesterId,
      Date.now(),
    );
    metrics.batchSize.observe(plan.blobs.length);
    const batchRootHex = Buffer.from(plan.header.batchRoot).toString("hex");
    // Keep the events alive while the shards sign (ack wait must not expire under us).
    const keepAlive = setInterval(
      () => {
        for (const e of batch.entries) for (const m of e.refs) m.working();
      },
      Math.max(1000, Math.floor(this.opts.ackWaitMs / 3)),
    );
    try {
      const certify = () =>
        certifyBatch(plan, epoch, this.opts, {
          signer: this.modules.signer,
          logger: this.logger,
          signal: this.abort.signal,
        });
      let result = await certify();
      while (!result.ok) {
        metrics.batches.inc({ result: "below_threshold" });
        if (this.abort.signal.aborted) {
          this.release(batch, this.opts.nakDelayMs);
          return;
        }
        this.logger.warn("Batch not certified yet; retrying it in place", {
          batchRoot: batchRootHex,
          blobs: plan.blobs.length,
          signers: result.signers,
          rounds: result.rounds,
          reason: result.reason,
        });
        await new Promise((r) => setTimeout(r, this.opts.nakDelayMs));
        result = await certify();
      }
      await this.publishOrder.wait(turn);
      metrics.timeToCertificate.observe((Date.now() - firstArrival) / 1000);
      const certProto = certificateToProto(result.certificate);
      const certB64 = Buffer.from(toBinary(CertificateSchema, certProto)).toString("base64");
      const proofs = inclusionProofs(plan);
      const inclusions = proofs.map((p, i) => inclusionToProto({ blobIndex: i, proof: p }));
      try {
        await Promise.all(
          plan.blobs.map((b, i) =>
            statusStore.transition(b.blobKey, "CERTIFIED", {
              certificate: certB64,
              inclusion: Buffer.from(toBinary(BlobInclusionSchema, inclusions[i]!)).toString("base64"),
            }),
          ),
        );
        const byShard = new Map<string, CertifiedBlobRef[]>();
        plan.blobs.forEach((b, i) => {
          const shardId = consensusShardForNamespace(epoch, b.header.namespace);
          const refs = byShard.get(shardId) ?? [];
          byShard.set(shardId, refs);
          refs.push(
            create(CertifiedBlobRefSchema, {
              header: blobHeaderToProto(b.header),
              inclusion: inclusions[i]!,
            }),
          );
        });
        const js = nc.jetstream();
        await Promise.all(
          [...byShard].map(async ([shardId, blobs]) => {
            const envelope: CertificateEnvelope = create(CertificateEnvelopeSchema, {
              certificate: certProto,
              blobs,
              batchBlobCount: plan.blobs.length,
            });
            await js.publish(
              certsSubject(this.opts.lane, shardId),
              toBinary(CertificateEnvelopeSchema, envelope),
              {
                msgID: `${batchRootHex}.${shardId}`,
              },
            );
            metrics.envelopes.inc();
          }),
        );
      } catch (err) {
        metrics.batches.inc({ result: "publish_failed" });
        this.logger.error("Certified batch could not be recorded or published; events released", {
          batchRoot: batchRootHex,
          err,
        });
        this.release(batch, this.opts.nakDelayMs);
        return;
      }
      await Promise.all(
        batch.entries.flatMap((e) =>
          e.refs.map((m) =>
            m
              .ackAck()
              .catch((err: unknown) => this.logger.warn("Ack failed (event will be re-certified)", { err })),
          ),
        ),
      );
      metrics.batches.inc({ result: "certified" });
      this.logger.info("Batch certified", {
        batchRoot: batchRootHex,
        epoch: plan.header.epoch,
        blobs: plan.blobs.length,
        signers: result.signers,
        shards: epoch.storageShards.length,
      });
    } finally {
      clearInterval(keepAlive);
    }
  }
}

/** Hands out turns in order and lets turn n proceed once every earlier turn is done. */
class PublishTurnstile {
  private next = 0;
  private readonly finished = new Set<number>();
  private lowest = 0;
  private readonly waiters = new Map<number, () => void>();

  take(): number {
    return this.next++;
  }

  wait(turn: number): Promise<void> {
    if (turn <= this.lowest) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(turn, resolve));
  }

  done(turn: number): void {
    this.finished.add(turn);
    while (this.finished.delete(this.lowest)) {
      this.lowest++;
      this.waiters.get(this.lowest)?.();
      this.waiters.delete(this.lowest);
    }
  }
}

function decodeEvent(data: Uint8Array) {
  return fromBinary(EncodedEventSchema, data);
}
