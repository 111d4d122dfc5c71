/**
 * DisperseBlob without gRPC concerns (docs/pipeline.md, storage lane steps 1 and 4):
 * validate, derive the request id, answer a known request with its stored key, otherwise hold
 * the request id (SET NX, "pending:<token>"); for a signed request check the replay window and
 * the epoch and claim the nonce; charge the account's token bucket; have an encoder encode and
 * store the blob (it checks the account's signature of the blob key before storing), record
 * ENCODED with the header in Redis, map the request id to the blob key, publish the encoded
 * event and wait for JetStream's ack, and only then answer. A failed attempt frees the nonce
 * and refunds the bucket.
 *
 * Redis, beyond pipeline.md's fields: the blob hash also holds `encodedEvent` (the EncodedEvent
 * bytes, base64, a few hundred bytes) and `published` ("1" once JetStream acked), so a retry of
 * a request whose publish failed republishes instead of losing the event.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { blobHeaderFromProto, Code, encodeWithBulkBytes, RpcError } from "@tributary/proto";
import { EncodeBlobRequestSchema } from "@tributary/proto/tributary/encoder/v1/encoder";
import { EncodedEventSchema } from "@tributary/proto/tributary/events/v1/events";
import {
  type BlobHeader,
  bytesEqual,
  blobKey as computeBlobKey,
  decodeBlobHeader,
  encodeBlobHeader,
  HEADER_VERSION,
} from "@tributary/protocol";
import { type BlobStatusName, type BlobStatusStore, blobStatusKey, type Logger } from "@tributary/runtime";
import type { Redis } from "ioredis";
import { checkFreshness, type FreshnessContext } from "./authChecks.ts";
import type { EncodedPublisher } from "./encodedEvents.ts";
import type { EncoderPool } from "./encoderPool.ts";
import { DisperserError, DisperserErrorCode, disperserError } from "./errors.ts";
import { fromHex, hex } from "./hex.ts";
import type { DisperserMetrics } from "./metrics.ts";
import type { NonceRegistry } from "./nonceRegistry.ts";
import {
  computeRequestId,
  type DisperseInput,
  type ValidationOptions,
  type ValidDisperseRequest,
  validateDisperseRequest,
} from "./requestValidation.ts";
import type { TokenBucket } from "./tokenBucket.ts";

export const REQUEST_KEY_PREFIX = "tributary:request:";
const PENDING = "pending:";
const POLL_MS = 50;

/** Deletes KEYS[1] only while it still holds ARGV[1] (our own pending marker). */
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface DisperseOutcome {
  readonly blobKey: Uint8Array;
  readonly status: BlobStatusName;
  readonly header: BlobHeader;
  /** False when an earlier call with the same request id already dispersed the blob. */
  readonly fresh: boolean;
}

export type DispersalOptions = ValidationOptions & {
  /** Replay window: accepted |auth.timestamp_ms - now|. */
  maxClockSkewMs: number;
  /** How long after an epoch change signed requests may still name the previous epoch. */
  epochGraceMs: number;
  encodeTimeoutMs: number;
  publishTimeoutMs: number;
  requestTtlSeconds: number;
};

export type DispersalModules = {
  logger: Logger;
  metrics: DisperserMetrics;
  redis: Redis;
  store: BlobStatusStore;
  encoders: Pick<EncoderPool, "encode">;
  publisher: EncodedPublisher;
  nonces: Pick<NonceRegistry, "claim" | "release">;
  quota: Pick<TokenBucket, "take" | "refund">;
  /** The current epoch (and the one it replaced), which signed requests must name. */
  membership: FreshnessContext["membership"];
};

export type CallContext = { signal?: AbortSignal | undefined; deadline?: Date | undefined };

export class Dispersal {
  private readonly opts: DispersalOptions;
  private readonly modules: DispersalModules;
  private readonly logger: Logger;

  constructor(opts: DispersalOptions, modules: DispersalModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("dispersal");
  }

  async disperse(input: DisperseInput, ctx: CallContext = {}): Promise<DisperseOutcome> {
    const req = validateDisperseRequest(input, this.opts);
    const requestKey = REQUEST_KEY_PREFIX + hex(computeRequestId(req));
    const { redis } = this.modules;
    // The pending marker outlives a stuck call by a little, then frees the request id.
    const holdMs = this.opts.encodeTimeoutMs + this.opts.publishTimeoutMs + 5000;
    const waitUntil = Date.now() + holdMs;
    for (;;) {
      ctx.signal?.throwIfAborted();
      const existing = await redis.get(requestKey);
      if (existing !== null && !existing.startsWith(PENDING)) {
        const known = await this.known(existing);
        if (known !== undefined) return known;
        // The mapped blob FAILED, EXPIRED or is gone: this request may be dispersed anew.
        await this.compareAndDelete(requestKey, existing);
        continue;
      }
      if (existing !== null) {
        if (Date.now() > waitUntil) {
          throw disperserError(
            DisperserErrorCode.requestInProgress,
            "unavailable",
            "the same request is being dispersed by another call; retry later",
          );
        }
        await sleep(POLL_MS, undefined, { signal: ctx.signal });
        continue;
      }
      const token = PENDING + randomBytes(12).toString("hex");
      if ((await redis.set(requestKey, token, "PX", holdMs, "NX")) !== "OK") continue;
      try {
        return await this.admitAndDisperse(req, requestKey, ctx);
      } catch (err) {
        await this.compareAndDelete(requestKey, token).catch(() => undefined);
        throw err;
      }
    }
  }

  /** The outcome of an earlier dispersal of this request, or undefined if it cannot be reused. */
  private async known(blobKeyHex: string): Promise<DisperseOutcome | undefined> {
    const blobKey = fromHex(blobKeyHex);
    if (blobKey.length !== 32) return undefined;
    const record = await this.modules.store.get(blobKey);
    const headerHex = record?.fields.header;
    if (record === undefined || headerHex === undefined) return undefined;
    if (record.status === "FAILED" || record.status === "EXPIRED") return undefined;
    if (record.status === "ENCODED" && record.fields.published !== "1" && record.fields.encodedEvent) {
      await this.publish(Buffer.from(record.fields.encodedEvent, "base64"), blobKey);
    }
    return { blobKey, status: record.status, header: decodeBlobHeader(fromHex(headerHex)), fresh: false };
  }

  /**
   * The checks a new request passes before it costs an encoder anything: replay window and
   * epoch (signed requests), the nonce, the quota. A failure afterwards undoes the last two.
   */
  private async admitAndDisperse(
    req: ValidDisperseRequest,
    requestKey: string,
    ctx: CallContext,
  ): Promise<DisperseOutcome> {
    const { nonces, quota, membership } = this.modules;
    const requestIdHex = requestKey.slice(REQUEST_KEY_PREFIX.length);
    const acceptedAt = Date.now();
    if (req.auth !== undefined) {
      checkFreshness(req.auth, {
        nowMs: acceptedAt,
        maxClockSkewMs: this.opts.maxClockSkewMs,
        membership,
        epochGraceMs: this.opts.epochGraceMs,
      });
      await nonces.claim(req.account, req.nonce, requestIdHex);
    }
    let charged = false;
    try {
      await quota.take(req.account, req.data.length, req.limits);
      charged = true;
      return await this.disperseNew(req, requestKey, acceptedAt, ctx);
    } catch (err) {
      // A blob stored but not yet published is acknowledged by a retry of this request: it
      // keeps its nonce and its charge.
      if (err instanceof DisperserError && err.code === DisperserErrorCode.publishFailed) throw err;
      if (charged) {
        await quota
          .refund(req.account, req.data.length, req.limits)
          .catch((e: unknown) => this.logger.warn("Quota refund failed", { error: String(e) }));
      }
      if (req.auth !== undefined) {
        await nonces
          .release(req.account, req.nonce, requestIdHex)
          .catch((e: unknown) => this.logger.warn("Releasing the nonce failed", { error: String(e) }));
      }
      throw err;
    }
  }

  private async disperseNew(
    req: ValidDisperseRequest,
    requestKey: string,
    acceptedAt: number,
    ctx: CallContext,
  ): Promise<DisperseOutcome> {
    const { metrics, store, redis } = this.modules;
    const timer = metrics.dispersalDuration.startTimer();
    const deadline = earliest(ctx.deadline, new Date(acceptedAt + this.opts.encodeTimeoutMs));
    let response: Awaited<ReturnType<EncoderPool["encode"]>>;
    try {
      // The blob is copied once, into the wire buffer (encodeWithBulkBytes), not through
      // protobuf-es's growing writer.
      const request = encodeWithBulkBytes(
        EncodeBlobRequestSchema,
        {
          header: {
            version: HEADER_VERSION,
            namespace: req.namespace,
            account: req.account,
            nonce: req.nonce,
            // Signed: the header the account signed (its time and epoch). Anonymous: our clock,
            // epoch 0 = the encoder's current epoch.
            timestampMs: BigInt(req.auth?.timestampMs ?? acceptedAt),
            retentionSeconds: BigInt(req.retentionSeconds),
            epoch: BigInt(req.auth?.epoch ?? 0),
            preset: req.preset,
          },
          accountSignature: req.auth?.signature ?? new Uint8Array(0),
          // The key the account signed (checked above, in validateAuth): the encoder refuses
          // data that does not hash to it before storing anything.
          blobKey: req.auth?.blobKey ?? new Uint8Array(0),
        },
        "data",
        req.data,
      );
      response = await this.modules.encoders.encode(
        request,
        { deadline, signal: ctx.signal },
        (endpoint, err) => {
          metrics.encoderRetries.inc();
          this.logger.warn("Encoder unavailable, trying the next one", { endpoint, error: err.message });
        },
      );
    } catch (err) {
      throw this.encodeFailure(err);
    }
    const header = this.checkEncoded(
      req,
      response.header === undefined ? undefined : blobHeaderFromProto(response.header),
    );
    const blobKey = computeBlobKey(header);
    if (!bytesEqual(blobKey, response.blobKey)) {
      throw new Error("encoder returned a blob key that does not match its header");
    }
    const keyHex = hex(blobKey);
    const event = toBinary(
      EncodedEventSchema,
      create(EncodedEventSchema, {
        header: response.header,
        receipts: response.receipts,
        acceptedAtMs: BigInt(acceptedAt),
      }),
    );
    await store.transition(blobKey, "ENCODED", {
      header: hex(encodeBlobHeader(header)),
      namespace: hex(header.namespace),
      "t.QUEUED": String(acceptedAt),
      encodedEvent: Buffer.from(event).toString("base64"),
    });
    await redis.set(requestKey, keyHex, "EX", this.opts.requestTtlSeconds);
    await this.publish(event, blobKey);
    metrics.acceptedBytes.inc(req.data.length);
    timer();
    this.logger.info("Blob dispersed", {
      blobKey: keyHex,
      size: header.size,
      epoch: header.epoch,
      storedColumns: response.storedColumnCount,
      shards: response.receipts.length,
    });
    return { blobKey, status: "ENCODED", header, fresh: true };
  }

  private async publish(event: Uint8Array, blobKey: Uint8Array): Promise<void> {
    const keyHex = hex(blobKey);
    try {
      await this.modules.publisher.publish(event, keyHex);
    } catch (err) {
      this.logger.error("Publishing the encoded event failed", { blobKey: keyHex, err });
      throw disperserError(
        DisperserErrorCode.publishFailed,
        "unavailable",
        "the blob is stored but its encoded event could not be published; retry the same request",
        { blobKey: keyHex },
        err,
      );
    }
    await this.modules.redis.hset(blobStatusKey(blobKey), "published", "1");
  }

  /** The encoder's header must be the one asked for: same submitter fields, same data size. */
  private checkEncoded(req: ValidDisperseRequest, header: BlobHeader | undefined): BlobHeader {
    if (
      header === undefined ||
      !bytesEqual(header.namespace, req.namespace) ||
      !bytesEqual(header.account, req.account) ||
      header.nonce !== req.nonce ||
      header.size !== req.data.length ||
      header.retentionSeconds !== req.retentionSeconds ||
      header.preset !== req.preset ||
      (req.auth !== undefined &&
        (header.timestampMs !== req.auth.timestampMs || header.epoch !== req.auth.epoch))
    ) {
      throw new Error("encoder returned a header that does not match the request");
    }
    return header;
  }

  private encodeFailure(err: unknown): Error {
    if (!(err instanceof RpcError)) return err instanceof Error ? err : new Error(String(err));
    const meta = { encoderCode: err.codeName };
    switch (err.code) {
      case Code.INVALID_ARGUMENT:
      case Code.FAILED_PRECONDITION:
        return disperserError(
          DisperserErrorCode.encodeRejected,
          "invalid_argument",
          `encoder rejected the blob: ${err.message}`,
          meta,
          err,
        );
      case Code.UNAUTHENTICATED:
        return disperserError(
          DisperserErrorCode.signatureInvalid,
          "unauthenticated",
          `the account signature does not match: ${err.message}`,
          meta,
          err,
        );
      case Code.CANCELLED:
        return disperserError(DisperserErrorCode.cancelled, "cancelled", "dispersal cancelled", meta, err);
      case Code.DEADLINE_EXCEEDED:
        return disperserError(
          DisperserErrorCode.encodeUnavailable,
          "timeout",
          "encoding and storing the blob did not finish in time",
          meta,
          err,
        );
      default:
        return disperserError(
          DisperserErrorCode.encodeUnavailable,
          "unavailable",
          `no encoder could make the blob durable: ${err.message}`,
          meta,
          err,
        );
    }
  }

  private async compareAndDelete(key: string, value: string): Promise<void> {
    await this.modules.redis.eval(COMPARE_AND_DELETE, 1, key, value);
  }
}

function earliest(a: Date | undefined, b: Date): Date {
  return a !== undefined && a.getTime() < b.getTime() ? a : b;
}
