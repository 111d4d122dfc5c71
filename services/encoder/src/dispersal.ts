/**
 * The encoder's work for one blob (docs/pipeline.md, storage lane step 2), without gRPC server
 * concerns: build the header (epoch = the current membership epoch), lay out, extend and commit
 * the square in a pooled buffer, stream each storage shard its assigned columns concurrently
 * (one StoreColumns stream per shard), and decide durability: the distinct columns covered by
 * valid receipts must reach `requiredColumns(epoch, k)` (>= k, enough to rebuild the blob).
 */

import { blobHeaderToProto, type ClientPool, RpcError, type StorageReceipt } from "@tributary/proto";
import type { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import {
  type BlobHeader,
  bytesEqual,
  chooseSquareParams,
  columnHolderIndices,
  commitSquare,
  blobKey as computeBlobKey,
  type EpochMembership,
  extendBlob,
  getPreset,
  HEADER_VERSION,
  isAnonymousAccount,
  type NetworkPreset,
  ProtocolError,
  recoverAccount,
  requiredColumns,
  validateBlobHeader,
} from "@tributary/protocol";
import { acceptedEpoch, type Logger, type ReplacedEpoch } from "@tributary/runtime";
import { ColumnGatherer, columnBytes, uploadColumns } from "./columnUpload.ts";
import { EncoderErrorCode, encoderError } from "./errors.ts";
import type { EncoderMetrics } from "./metrics.ts";
import type { SquarePool } from "./squarePool.ts";

/** The membership the encoder reads: runtime's MembershipView, or a fixed epoch in tests. */
export interface MembershipSource {
  readonly current: EpochMembership;
  /** The epoch the current one replaced, while requests for it may still arrive. */
  readonly previous?: ReplacedEpoch | undefined;
}

/** The header fields a caller chooses; derived fields, when given, must match the data. */
export interface HeaderRequest {
  readonly version: number;
  readonly preset: string;
  readonly namespace: Uint8Array;
  readonly account: Uint8Array;
  readonly nonce: bigint;
  readonly timestampMs: number;
  readonly retentionSeconds: number;
  /** 0: the encoder's current epoch. Otherwise the current one, or the previous during the grace. */
  readonly epoch: number;
  readonly size: number;
  readonly k: number;
  readonly cellSize: number;
  readonly dataRoot: Uint8Array;
}

export interface EncodeRequest {
  readonly header: HeaderRequest;
  readonly data: Uint8Array;
  /** The key the caller expects; empty skips the check. */
  readonly expectedBlobKey: Uint8Array;
  /** The account's signature of the blob key; empty for the anonymous (all-zero) account. */
  readonly accountSignature: Uint8Array;
}

export interface EncodeResult {
  readonly blobKey: Uint8Array;
  readonly header: BlobHeader;
  /** Distinct columns durably stored on at least one shard. */
  readonly storedColumnCount: number;
  /** One per shard that acknowledged, in membership order. */
  readonly receipts: readonly StorageReceipt[];
}

export type DispersalOptions = {
  preset: NetworkPreset["name"];
  maxBlobBytes: number;
  storeTimeoutMs: number;
  /** How long after an epoch change a request may still name the previous epoch (0: never). */
  epochGraceMs: number;
};

export type DispersalModules = {
  logger: Logger;
  metrics: EncoderMetrics;
  membership: MembershipSource;
  storage: ClientPool<typeof StorageShard>;
  pool: SquarePool;
};

export type CallContext = { signal?: AbortSignal | undefined; deadline?: Date | undefined };

type ShardOutcome =
  | { ok: true; shardId: string; receipt: StorageReceipt; columns: readonly number[] }
  | { ok: false; shardId: string; code: string; message: string };

export class Dispersal {
  private readonly opts: DispersalOptions;
  private readonly modules: DispersalModules;
  private readonly logger: Logger;
  private readonly preset: NetworkPreset;

  constructor(opts: DispersalOptions, modules: DispersalModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("dispersal");
    this.preset = getPreset(opts.preset);
  }

  /** The largest blob accepted: the configured limit capped by the preset's geometry. */
  get maxBlobBytes(): number {
    return Math.min(this.opts.maxBlobBytes, this.preset.maxBlobBytes);
  }

  async encodeAndStore(request: EncodeRequest, ctx: CallContext = {}): Promise<EncodeResult> {
    const { metrics, pool } = this.modules;
    const epoch = this.epochFor(request.header.epoch);
    const base = this.checkRequest(request, epoch);

    const encodeTimer = metrics.encodeDuration.startTimer();
    const params = chooseSquareParams(request.data.length, this.preset);
    const buffer = pool.acquire(params);
    let released = false;
    try {
      const committed = commitSquare(extendBlob(request.data, params, buffer));
      const header: BlobHeader = {
        ...base,
        size: request.data.length,
        k: params.k,
        cellSize: params.cellSize,
        dataRoot: committed.commitment.dataRoot,
      };
      this.checkDerived(request, header);
      const key = computeBlobKey(header);
      if (request.expectedBlobKey.length > 0 && !bytesEqual(request.expectedBlobKey, key)) {
        throw encoderError(
          EncoderErrorCode.headerMismatch,
          "failed_precondition",
          "the completed header does not hash to the expected blob key",
        );
      }
      encodeTimer();
      // Before any column leaves: an unauthenticated blob must cost the storage shards nothing.
      checkAccountSignature(header.account, key, request.accountSignature);

      const storeTimer = metrics.storeDuration.startTimer();
      const outcomes = await this.storeAll(epoch, header, key, committed, () => released, ctx);
      storeTimer();

      const covered = new Set<number>();
      const receipts: StorageReceipt[] = [];
      for (const o of outcomes) {
        if (!o.ok) continue;
        receipts.push(o.receipt);
        for (const c of o.columns) covered.add(c);
      }
      const required = requiredColumns(epoch, params.k);
      const failed = outcomes.filter((o) => !o.ok);
      if (covered.size < required) {
        if (ctx.signal?.aborted) throw this.cancelled(ctx.signal);
        throw encoderError(
          EncoderErrorCode.insufficientStorage,
          "unavailable",
          `only ${covered.size} of the ${required} columns needed became durable; failed shards: ${failed
            .map((f) => `${f.shardId} (${f.code}: ${f.message})`)
            .join(", ")}`,
          { stored: covered.size, required, failedShards: failed.map((f) => f.shardId) },
        );
      }
      if (failed.length > 0) {
        this.logger.warn("Blob durable without some shards", {
          blobKey: hex(key),
          failedShards: failed.map((f) => f.shardId),
          stored: covered.size,
          required,
        });
      }
      metrics.blobsEncoded.inc();
      metrics.encodedBytes.inc(request.data.length);
      return { blobKey: key, header, storedColumnCount: covered.size, receipts };
    } finally {
      released = true;
      pool.release(params, buffer);
    }
  }

  /**
   * The membership to encode and store under: the current epoch for 0 or its number, the
   * previous one during the grace after a change (columns go to that epoch's shards, which keep
   * serving it); FAILED_PRECONDITION otherwise.
   */
  private epochFor(requested: number): EpochMembership {
    const { membership } = this.modules;
    if (requested === 0) return membership.current;
    const accepted = acceptedEpoch(requested, membership, Date.now(), this.opts.epochGraceMs);
    if (accepted !== undefined) return accepted;
    throw encoderError(
      EncoderErrorCode.epochMismatch,
      "failed_precondition",
      `request names epoch ${requested} but the current epoch is ${membership.current.epoch}`,
      { requested, current: membership.current.epoch },
    );
  }

  /** Validates what the caller chose and returns the header fields that do not depend on the data. */
  private checkRequest(
    request: EncodeRequest,
    epoch: EpochMembership,
  ): Omit<BlobHeader, "size" | "k" | "cellSize" | "dataRoot"> {
    const h = request.header;
    const invalid = (message: string, meta: Record<string, unknown> = {}) =>
      encoderError(EncoderErrorCode.invalidRequest, "invalid_argument", message, meta);
    if (h.version !== HEADER_VERSION && h.version !== 0) {
      throw invalid(`unsupported header version ${h.version} (this encoder writes ${HEADER_VERSION})`);
    }
    if (h.preset !== "" && h.preset !== this.preset.name) {
      throw invalid(`preset "${h.preset}" is not this network's preset "${this.preset.name}"`);
    }
    const size = request.data.length;
    if (size === 0) throw invalid("blob data is empty (1 byte at least)");
    if (size > this.maxBlobBytes) {
      throw encoderError(
        EncoderErrorCode.blobTooLarge,
        "too_large",
        `blob of ${size} bytes exceeds the maximum of ${this.maxBlobBytes} bytes`,
        { size, max: this.maxBlobBytes },
      );
    }
    const base = {
      version: HEADER_VERSION,
      preset: this.preset.name,
      namespace: h.namespace,
      account: h.account,
      nonce: h.nonce,
      timestampMs: h.timestampMs,
      retentionSeconds: h.retentionSeconds,
      epoch: epoch.epoch,
    };
    // Validate everything the caller chose before spending a square on it: a placeholder
    // geometry for `size` lets the protocol's header check cover namespace, account and ranges.
    try {
      validateBlobHeader({
        ...base,
        size,
        ...chooseSquareParams(size, this.preset),
        dataRoot: new Uint8Array(32),
      });
    } catch (err) {
      if (err instanceof ProtocolError) throw invalid(err.message, { protocolCode: err.code });
      throw err;
    }
    return base;
  }

  private checkDerived(request: EncodeRequest, header: BlobHeader): void {
    const h = request.header;
    const mismatches: string[] = [];
    if (h.size !== 0 && h.size !== header.size) mismatches.push("size");
    if (h.k !== 0 && h.k !== header.k) mismatches.push("square_width");
    if (h.cellSize !== 0 && h.cellSize !== header.cellSize) mismatches.push("cell_size");
    if (h.dataRoot.length > 0 && !bytesEqual(h.dataRoot, header.dataRoot)) mismatches.push("data_root");
    if (mismatches.length > 0) {
      throw encoderError(
        EncoderErrorCode.headerMismatch,
        "failed_precondition",
        `header fields do not match the data: ${mismatches.join(", ")}`,
        { fields: mismatches },
      );
    }
  }

  /** One StoreColumns stream per shard that holds any column, all concurrently; never throws. */
  private async storeAll(
    epoch: EpochMembership,
    header: BlobHeader,
    key: Uint8Array,
    committed: ReturnType<typeof commitSquare>,
    isReleased: () => boolean,
    ctx: CallContext,
  ): Promise<ShardOutcome[]> {
    const columnsByShard = assignColumns(epoch, key, 2 * header.k);
    const headerProto = blobHeaderToProto(header);
    const timeout = AbortSignal.timeout(this.opts.storeTimeoutMs);
    const signal = ctx.signal === undefined ? timeout : AbortSignal.any([ctx.signal, timeout]);
    const { metrics, storage } = this.modules;
    const gather = new ColumnGatherer(committed);
    const uploads = epoch.storageShards.map(async (shard, index): Promise<ShardOutcome | undefined> => {
      const columns = columnsByShard[index]!;
      if (columns.length === 0) return undefined;
      try {
        const receipt = await uploadColumns(storage.get(shard.endpoint), {
          header: headerProto,
          blobKey: key,
          committed,
          gather,
          columns,
          isReleased,
          call: { signal, deadline: ctx.deadline },
        });
        metrics.sentColumnBytes.inc(columnBytes(committed, columns.length));
        const accepted = checkReceipt(receipt, shard.id, key, epoch.epoch, columns);
        if (typeof accepted === "string") {
          metrics.storeFailures.inc({ shard: shard.id, code: "BAD_RECEIPT" });
          this.logger.warn("Unusable storage receipt", {
            shard: shard.id,
            blobKey: hex(key),
            reason: accepted,
          });
          return { ok: false, shardId: shard.id, code: "BAD_RECEIPT", message: accepted };
        }
        return { ok: true, shardId: shard.id, receipt, columns: accepted };
      } catch (err) {
        const code = err instanceof RpcError ? err.codeName : "CLIENT_ERROR";
        const message = err instanceof Error ? err.message : String(err);
        metrics.storeFailures.inc({ shard: shard.id, code });
        this.logger.warn("Storing columns failed", { shard: shard.id, blobKey: hex(key), code, message });
        return { ok: false, shardId: shard.id, code, message };
      }
    });
    const outcomes = await Promise.all(uploads);
    return outcomes.filter((o): o is ShardOutcome => o !== undefined);
  }

  private cancelled(signal: AbortSignal) {
    return encoderError(EncoderErrorCode.cancelled, "cancelled", "encoding cancelled", {}, signal.reason);
  }
}

/**
 * Columns per storage shard (indexed like epoch.storageShards), ascending: the inverse of the
 * assignment's holder table, computed with one blob-key hash for all columns.
 */
export function assignColumns(epoch: EpochMembership, key: Uint8Array, columnCount: number): number[][] {
  const holders = columnHolderIndices(epoch, key, columnCount);
  const r = epoch.replication;
  const byShard: number[][] = epoch.storageShards.map(() => []);
  for (let j = 0; j < columnCount; j++) {
    for (let q = 0; q < r; q++) byShard[holders[j * r + q]!]!.push(j);
  }
  return byShard;
}

/**
 * The blob key must be signed by the header's account (disperser.proto AccountAuth); the
 * anonymous all-zero account carries no signature. Throws UNAUTHENTICATED otherwise.
 */
export function checkAccountSignature(account: Uint8Array, key: Uint8Array, signature: Uint8Array): void {
  if (isAnonymousAccount(account)) {
    if (signature.length === 0) return;
    throw encoderError(
      EncoderErrorCode.invalidRequest,
      "invalid_argument",
      "an anonymous blob (all-zero account) carries no account signature",
    );
  }
  if (signature.length === 0) {
    throw encoderError(
      EncoderErrorCode.unauthenticated,
      "unauthenticated",
      "a blob of a non-zero account needs the account's signature of its blob key",
      { account: hex(account) },
    );
  }
  const signer = recoverAccount(key, signature);
  if (signer === undefined || !bytesEqual(signer, account)) {
    throw encoderError(
      EncoderErrorCode.unauthenticated,
      "unauthenticated",
      "the account signature does not match the header's account and blob key",
      { account: hex(account), blobKey: hex(key) },
    );
  }
}

/** The columns a receipt vouches for, or why it cannot be used. */
export function checkReceipt(
  receipt: StorageReceipt,
  shardId: string,
  key: Uint8Array,
  epoch: number,
  sent: readonly number[],
): readonly number[] | string {
  if (!bytesEqual(receipt.blobKey, key)) return "receipt names another blob";
  if (receipt.shardId !== shardId) return `receipt names shard "${receipt.shardId}"`;
  if (receipt.epoch !== epoch) return `receipt names epoch ${receipt.epoch}`;
  const sentSet = new Set(sent);
  const columns = receipt.columns.filter((c) => sentSet.has(c));
  // A receipt may list fewer columns than were sent (the shard refused some): count what it vouches for.
  if (columns.length === 0) return "receipt covers none of the columns sent";
  return columns;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
