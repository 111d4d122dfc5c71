/**
 * The storage shard's domain logic, socket-free: what to accept, what to serve, what to sign.
 * storageService.ts translates gRPC messages to these calls; columnStore.ts makes bytes durable.
 *
 * Accepting a column (StoreColumns, RepairColumn), in order of cost:
 *   1. the header is valid and hashes to the given blob key; its retention has not ended;
 *   2. the shard knows the header's epoch and is a member of it (else FAILED_PRECONDITION: retry
 *      once the shard has seen the epoch);
 *   3. the column index is < 2k, announced once, and assigned to this shard in that epoch
 *      (`columnsForShard`, the rendezvous assignment every service computes identically);
 *   4. the announced column root is committed in the header's data root (`verifyLineRoot`);
 *   5. once its bytes have arrived: exactly 2k cells, and their Merkle root (`lineRootOfBuffer`) equals
 *      the announced root.
 * Failures of 1, 3, 4, 5 are the sender's fault: INVALID_ARGUMENT.
 *
 * Signing (SignBatch): the batch root must be the Merkle root of the listed blob keys; for every
 * blob the shard must hold, durably and not known corrupt, every column assigned to it in the
 * blob's epoch and every column the attester listed. Only then does it BLS-sign
 * `batchSigningMessage(batchHeader)`; otherwise FAILED_PRECONDITION naming the first blob short of
 * columns. "Durably" holds by construction: the store only lists a column after its fsyncs.
 */
import {
  type BatchHeader,
  type BlobHeader,
  batchRoot,
  batchSigningMessage,
  bytesEqual,
  type CellProof,
  columnsForShard,
  blobKey as computeBlobKey,
  decodeBlobHeader,
  type EpochMembership,
  encodeBlobHeader,
  expiresAtMs,
  lineProofFromTree,
  lineRootOfBuffer,
  lineTreeOfBuffer,
  type MerkleProof,
  publicKeyOf,
  sign,
  storageShardIndex,
  verifyLineRoot,
} from "@tributary/protocol";
import type { Logger } from "@tributary/runtime";
import type { ColumnStore, ColumnWrite } from "./columnStore.ts";
import { StorageErrorCode, storageError } from "./errors.ts";
import type { StorageShardMetrics } from "./metrics.ts";

const HASH_BYTES = 32;
/**
 * The column store's digest (ColumnDigest): the column's Merkle root over its cells, the root the
 * header's data root commits to. The cell size comes from the blob's canonical header.
 */
export function columnDigest(data: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  return lineRootOfBuffer(data, decodeBlobHeader(headerBytes).cellSize);
}

/** Upper bound on one chunk, as storage.proto states. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** Where the shard learns epoch memberships (NATS KV in production, a fixed map in tests). */
export type MembershipView = {
  /** The validated membership of `epoch`, or undefined if this shard does not know it. */
  getEpoch(epoch: number): EpochMembership | undefined | Promise<EpochMembership | undefined>;
};

export type StorageShardOptions = {
  /** This shard's id as listed in the epoch membership. */
  shardId: string;
  /** BLS12-381 secret key (32 bytes) whose public key the membership lists for this shard. */
  secretKey: Uint8Array;
  now?: () => number;
};

export type StorageShardModules = {
  store: ColumnStore;
  membership: MembershipView;
  logger: Logger;
  metrics: StorageShardMetrics;
};

export type ColumnAnnouncement = {
  readonly column: number;
  readonly columnRoot: Uint8Array;
  readonly rootProof: MerkleProof;
};

export type ColumnUpload = ColumnAnnouncement & { readonly data: Uint8Array };

export type Receipt = {
  blobKey: Uint8Array;
  shardId: string;
  epoch: number;
  /** Every column of the blob the shard now holds, ascending. */
  columns: number[];
  storedAtMs: number;
};

export type ColumnRead = {
  header: BlobHeader;
  columnRoot: Uint8Array;
  rootProof: MerkleProof;
  /** The column's 2k cells, row order (views into one verified buffer). */
  cells: Uint8Array[];
};

export type SampleResult =
  | { ok: true; cell: Uint8Array; proof: CellProof }
  | { ok: false; code: StorageErrorCode; message: string };

export type BatchBlobRequest = { blobKey: Uint8Array; columns: readonly number[]; header?: BlobHeader };

export type BatchSignature = { signature: Uint8Array; shardId: string; epoch: number };

export class StorageShard {
  readonly shardId: string;
  readonly publicKey: Uint8Array;
  readonly #secretKey: Uint8Array;
  readonly #now: () => number;
  readonly #store: ColumnStore;
  readonly #membership: MembershipView;
  readonly #logger: Logger;
  readonly #metrics: StorageShardMetrics;

  constructor(opts: StorageShardOptions, modules: StorageShardModules) {
    this.shardId = opts.shardId;
    this.#secretKey = opts.secretKey;
    this.publicKey = publicKeyOf(opts.secretKey);
    this.#now = opts.now ?? Date.now;
    if (modules.store.digest !== columnDigest) {
      // persist() hands the store the verified column root as the digest of the column's bytes.
      throw new Error("A storage shard's column store must be opened with digest: columnDigest");
    }
    this.#store = modules.store;
    this.#membership = modules.membership;
    this.#logger = modules.logger.child("shard");
    this.#metrics = modules.metrics;
  }

  /**
   * Checks a blob announcement (steps 1-4 of the module doc) and returns a session that takes
   * the columns' bytes as chunks and commits them.
   */
  async beginUpload(
    header: BlobHeader,
    blobKey: Uint8Array,
    announcements: readonly ColumnAnnouncement[],
    source: "store" | "repair" = "store",
  ): Promise<UploadSession> {
    const headerBytes = this.#checkHeader(header, blobKey);
    if (announcements.length === 0) {
      throw invalidArgument(StorageErrorCode.invalidRequest, "No columns announced");
    }
    const epoch = await this.#epochFor(header.epoch);
    const width = 2 * header.k;
    const assigned = new Set(columnsForShard(epoch, blobKey, width, this.shardId));
    const seen = new Set<number>();
    for (const a of announcements) {
      if (!Number.isInteger(a.column) || a.column < 0 || a.column >= width) {
        throw invalidArgument(StorageErrorCode.outOfRange, "Column index outside the extended square", {
          column: a.column,
          width,
        });
      }
      if (seen.has(a.column)) {
        throw invalidArgument(StorageErrorCode.invalidRequest, "Column announced twice", {
          column: a.column,
        });
      }
      seen.add(a.column);
      if (!assigned.has(a.column)) {
        throw invalidArgument(StorageErrorCode.notAssigned, "Column is not assigned to this shard", {
          column: a.column,
          epoch: header.epoch,
          shardId: this.shardId,
        });
      }
      if (
        a.columnRoot.length !== HASH_BYTES ||
        !verifyLineRoot(
          a.columnRoot,
          "col",
          a.column,
          a.rootProof,
          { k: header.k, cellSize: header.cellSize },
          header.dataRoot,
        )
      ) {
        throw invalidArgument(
          StorageErrorCode.proofInvalid,
          "Column root is not committed in the data root",
          {
            column: a.column,
          },
        );
      }
    }
    return new UploadSession(this, header, headerBytes, blobKey, announcements, source);
  }

  /** One-shot store of whole columns (RepairColumn, tests): announce, verify, commit. */
  async storeColumns(
    header: BlobHeader,
    blobKey: Uint8Array,
    columns: readonly ColumnUpload[],
    source: "store" | "repair" = "store",
  ): Promise<Receipt> {
    const session = await this.beginUpload(header, blobKey, columns, source);
    let total = 0;
    for (const c of columns) {
      session.addChunk(c.column, 0, c.data);
      total += c.data.length;
    }
    return session.commit(total);
  }

  /** Called by UploadSession.commit with verified columns. */
  async persist(
    header: BlobHeader,
    headerBytes: Uint8Array,
    blobKey: Uint8Array,
    columns: readonly ColumnUpload[],
    source: "store" | "repair",
  ): Promise<Receipt> {
    const end = this.#metrics.storeDuration.startTimer({ method: source });
    const expires = expiresAtMs(header);
    const writes: ColumnWrite[] = columns.map((c) => ({
      blobKey,
      header: headerBytes,
      expiresAtMs: expires,
      column: c.column,
      columnRoot: c.columnRoot,
      rootProof: c.rootProof,
      data: c.data,
      // Verified equal to the data's Merkle root on arrival: the store's digest (columnDigest).
      digest: c.columnRoot,
    }));
    const result = await this.#store.put(writes);
    end();
    if (result.written > 0) this.#metrics.columnsStored.inc({ source }, result.written);
    this.#logger.debug("Stored columns", {
      blobKey: hex(blobKey),
      columns: columns.map((c) => c.column),
      written: result.written,
      source,
    });
    return {
      blobKey,
      shardId: this.shardId,
      epoch: header.epoch,
      columns: [...(this.#store.getBlob(blobKey)?.columns ?? [])],
      storedAtMs: result.storedAtMs,
    };
  }

  /** A stored column with its proof to the data root. NOT_FOUND when missing or corrupt. */
  async getColumn(blobKey: Uint8Array, column: number): Promise<ColumnRead> {
    checkKey(blobKey);
    const read = await this.#store.readColumn(blobKey, column);
    if (!read.ok) {
      const code =
        read.reason === "blob_not_found"
          ? StorageErrorCode.blobNotFound
          : read.reason === "corrupt"
            ? StorageErrorCode.corrupt
            : StorageErrorCode.columnNotFound;
      this.#metrics.columnsServed.inc({ result: code });
      throw storageError(code, "not_found", "Column not held by this shard", {
        blobKey: hex(blobKey),
        column,
      });
    }
    const header = decodeBlobHeader(read.column.header);
    this.#metrics.columnsServed.inc({ result: "ok" });
    return {
      header,
      columnRoot: read.column.columnRoot,
      rootProof: read.column.rootProof,
      cells: splitCells(read.column.data, header.cellSize),
    };
  }

  /** One cell with its proof, or a per-request error code (the SampleCells stream goes on). */
  async sampleCell(blobKey: Uint8Array, row: number, column: number): Promise<SampleResult> {
    const result = await this.#sampleCell(blobKey, row, column);
    this.#metrics.sampledCells.inc({ result: result.ok ? "ok" : result.code });
    return result;
  }

  async #sampleCell(blobKey: Uint8Array, row: number, column: number): Promise<SampleResult> {
    if (blobKey.length !== HASH_BYTES) {
      return { ok: false, code: StorageErrorCode.invalidRequest, message: "blob key must be 32 bytes" };
    }
    const info = this.#store.getBlob(blobKey);
    if (info === undefined) {
      return { ok: false, code: StorageErrorCode.blobNotFound, message: "blob not held by this shard" };
    }
    const header = decodeBlobHeader(info.header);
    const width = 2 * header.k;
    if (row < 0 || row >= width || column < 0 || column >= width) {
      return { ok: false, code: StorageErrorCode.outOfRange, message: `row and column must be < ${width}` };
    }
    const read = await this.#store.readColumn(blobKey, column);
    if (!read.ok) {
      if (read.reason === "corrupt") {
        return { ok: false, code: StorageErrorCode.corrupt, message: "column failed its checksum" };
      }
      const epoch = await this.#membership.getEpoch(header.epoch);
      const assigned =
        epoch === undefined || columnsForShard(epoch, blobKey, width, this.shardId).includes(column);
      return assigned
        ? { ok: false, code: StorageErrorCode.columnNotFound, message: "column not held by this shard" }
        : { ok: false, code: StorageErrorCode.notAssigned, message: "column not assigned to this shard" };
    }
    const columnProof = lineProofFromTree(lineTreeOfBuffer(read.column.data, header.cellSize), row);
    return {
      ok: true,
      cell: read.column.data.subarray(row * header.cellSize, (row + 1) * header.cellSize),
      proof: {
        row,
        col: column,
        columnProof,
        columnRoot: read.column.columnRoot,
        rootProof: read.column.rootProof,
      },
    };
  }

  /** Checks custody of every blob in the batch, then BLS-signs the batch header. */
  async signBatch(batch: BatchHeader, blobs: readonly BatchBlobRequest[]): Promise<BatchSignature> {
    try {
      const signature = await this.#signBatch(batch, blobs);
      this.#metrics.signBatch.inc({ result: "signed" });
      return signature;
    } catch (err) {
      this.#metrics.signBatch.inc({ result: (err as { code?: string }).code ?? "error" });
      throw err;
    }
  }

  async #signBatch(batch: BatchHeader, blobs: readonly BatchBlobRequest[]): Promise<BatchSignature> {
    if (blobs.length === 0 || blobs.length !== batch.blobCount) {
      throw invalidArgument(
        StorageErrorCode.invalidBatch,
        "Blob list does not match the batch's blob count",
        {
          blobs: blobs.length,
          blobCount: batch.blobCount,
        },
      );
    }
    for (const b of blobs) checkKey(b.blobKey);
    if (!bytesEqual(batchRoot(blobs.map((b) => b.blobKey)), batch.batchRoot)) {
      throw invalidArgument(StorageErrorCode.invalidBatch, "Batch root does not match the listed blob keys");
    }
    const batchEpoch = await this.#epochFor(batch.epoch);
    const me = batchEpoch.storageShards[storageShardIndex(batchEpoch, this.shardId)]!;
    if (!bytesEqual(me.blsPublicKey, this.publicKey)) {
      throw storageError(
        StorageErrorCode.notMember,
        "failed_precondition",
        "The epoch registers another BLS key for this shard",
        { epoch: batch.epoch, shardId: this.shardId },
      );
    }
    for (let i = 0; i < blobs.length; i++) {
      const { blobKey, columns } = blobs[i]!;
      const info = this.#store.getBlob(blobKey);
      if (info === undefined) {
        if (await this.#assignedNothing(blobKey, columns, blobs[i]!.header)) continue;
        throw missing(blobKey, i, columns);
      }
      const header = decodeBlobHeader(info.header);
      const width = 2 * header.k;
      for (const c of columns) {
        if (!Number.isInteger(c) || c < 0 || c >= width) {
          throw invalidArgument(StorageErrorCode.outOfRange, "Listed column outside the extended square", {
            blobKey: hex(blobKey),
            column: c,
            width,
          });
        }
      }
      const epoch = await this.#epochFor(header.epoch);
      const required = new Set([...columnsForShard(epoch, blobKey, width, this.shardId), ...columns]);
      const absent = [...required].filter((c) => !this.#store.hasColumn(blobKey, c)).sort((a, b) => a - b);
      if (absent.length > 0) throw missing(blobKey, i, absent);
    }
    const signature = sign(this.#secretKey, batchSigningMessage(batch));
    this.#logger.debug("Signed batch", { epoch: batch.epoch, blobs: blobs.length });
    return { signature, shardId: this.shardId, epoch: batch.epoch };
  }

  /** Deletes blobs whose retention ended. */
  sweepExpired(): ReturnType<ColumnStore["sweepExpired"]> {
    return this.#store.sweepExpired(this.#now());
  }

  /** The membership of `epoch`, requiring this shard to be a member. */
  /**
   * True when this shard's own assignment of a blob it holds nothing of is empty: small blobs
   * have fewer columns than there are shards. The assignment is recomputed from the header
   * (after checking it hashes to the key), never taken from the requester's column list.
   */
  async #assignedNothing(blobKey: Uint8Array, columns: readonly number[], header: BlobHeader | undefined) {
    if (header === undefined || columns.length > 0 || !bytesEqual(computeBlobKey(header), blobKey))
      return false;
    const epoch = await this.#epochFor(header.epoch);
    return columnsForShard(epoch, blobKey, 2 * header.k, this.shardId).length === 0;
  }

  async #epochFor(epochNumber: number): Promise<EpochMembership> {
    const epoch = await this.#membership.getEpoch(epochNumber);
    if (epoch === undefined) {
      throw storageError(
        StorageErrorCode.unknownEpoch,
        "failed_precondition",
        "Epoch unknown to this shard",
        {
          epoch: epochNumber,
        },
      );
    }
    if (storageShardIndex(epoch, this.shardId) < 0) {
      throw storageError(
        StorageErrorCode.notMember,
        "failed_precondition",
        "This shard is not in the epoch",
        {
          epoch: epochNumber,
          shardId: this.shardId,
        },
      );
    }
    return epoch;
  }

  #checkHeader(header: BlobHeader, blobKey: Uint8Array): Uint8Array {
    let headerBytes: Uint8Array;
    try {
      headerBytes = encodeBlobHeader(header);
    } catch (err) {
      throw invalidArgument(StorageErrorCode.invalidHeader, "Invalid blob header", {}, err);
    }
    if (!bytesEqual(computeBlobKey(header), blobKey)) {
      throw invalidArgument(StorageErrorCode.invalidHeader, "Blob key does not match the header");
    }
    const expires = expiresAtMs(header);
    if (expires !== undefined && expires <= this.#now()) {
      throw storageError(StorageErrorCode.expired, "failed_precondition", "Blob retention has ended", {
        blobKey: hex(blobKey),
        expiresAtMs: expires,
      });
    }
    return headerBytes;
  }

  /** Counts a rejected store or repair (called by the service edge with the error's code). */
  countRejected(code: string): void {
    this.#metrics.columnsRejected.inc({ code });
  }
}

/**
 * One StoreColumns stream after its Open message: takes each announced column's bytes as
 * in-order chunks, verifies a column as soon as it is complete, and commits all of them in one
 * durable write.
 */
export class UploadSession {
  readonly #shard: StorageShard;
  readonly #header: BlobHeader;
  readonly #headerBytes: Uint8Array;
  readonly #blobKey: Uint8Array;
  readonly #source: "store" | "repair";
  readonly #columnBytes: number;
  readonly #columns = new Map<
    number,
    { a: ColumnAnnouncement; data: Uint8Array | undefined; received: number }
  >();
  #total = 0;

  constructor(
    shard: StorageShard,
    header: BlobHeader,
    headerBytes: Uint8Array,
    blobKey: Uint8Array,
    announcements: readonly ColumnAnnouncement[],
    source: "store" | "repair",
  ) {
    this.#shard = shard;
    this.#header = header;
    this.#headerBytes = headerBytes;
    this.#blobKey = blobKey;
    this.#source = source;
    this.#columnBytes = 2 * header.k * header.cellSize;
    for (const a of announcements) {
      this.#columns.set(a.column, { a, data: undefined, received: 0 });
    }
  }

  addChunk(column: number, offset: number, data: Uint8Array): void {
    const c = this.#columns.get(column);
    if (c === undefined) {
      throw invalidArgument(StorageErrorCode.invalidRequest, "Chunk for a column that was not announced", {
        column,
      });
    }
    if (data.length === 0 || data.length > Math.max(MAX_CHUNK_BYTES, this.#columnBytes)) {
      throw invalidArgument(StorageErrorCode.invalidRequest, "Chunk must hold 1 byte to 1 MiB", {
        column,
        length: data.length,
      });
    }
    if (offset !== c.received) {
      throw invalidArgument(StorageErrorCode.invalidRequest, "Chunks must arrive in order without gaps", {
        column,
        offset,
        expected: c.received,
      });
    }
    if (offset + data.length > this.#columnBytes) {
      throw invalidArgument(StorageErrorCode.invalidRequest, "Chunk runs past the end of the column", {
        column,
        columnBytes: this.#columnBytes,
      });
    }
    if (offset === 0 && data.length === this.#columnBytes) {
      // A whole column in one chunk (what our encoder sends: columns are at most 512 KiB): keep
      // the view into the received message instead of copying it; grpc-js never reuses it.
      c.data = data;
    } else {
      // Every byte is written before the column is verified or stored, so no zero fill needed.
      c.data ??= Buffer.allocUnsafe(this.#columnBytes);
      c.data.set(data, offset);
    }
    c.received += data.length;
    this.#total += data.length;
    if (c.received === this.#columnBytes) this.#verify(c.a, c.data);
  }

  #verify(a: ColumnAnnouncement, data: Uint8Array): void {
    const root = lineRootOfBuffer(data, this.#header.cellSize);
    if (!bytesEqual(root, a.columnRoot)) {
      throw invalidArgument(StorageErrorCode.proofInvalid, "Column cells do not hash to the announced root", {
        column: a.column,
      });
    }
  }

  /** Every announced column complete and verified: store durably and return the receipt. */
  async commit(totalBytes: number): Promise<Receipt> {
    if (totalBytes !== this.#total) {
      throw invalidArgument(StorageErrorCode.invalidRequest, "Commit total does not match the bytes sent", {
        totalBytes,
        received: this.#total,
      });
    }
    const columns: ColumnUpload[] = [];
    for (const { a, data, received } of this.#columns.values()) {
      if (data === undefined || received !== this.#columnBytes) {
        throw invalidArgument(StorageErrorCode.invalidRequest, "Announced column incomplete at commit", {
          column: a.column,
          received,
          columnBytes: this.#columnBytes,
        });
      }
      columns.push({ ...a, data });
    }
    columns.sort((x, y) => x.column - y.column);
    return this.#shard.persist(this.#header, this.#headerBytes, this.#blobKey, columns, this.#source);
  }
}

function invalidArgument(
  code: StorageErrorCode,
  message: string,
  meta: Record<string, unknown> = {},
  cause?: unknown,
) {
  return storageError(code, "invalid_argument", message, meta, cause);
}

function missing(blobKey: Uint8Array, index: number, columns: readonly number[]) {
  return storageError(
    StorageErrorCode.missingColumns,
    "failed_precondition",
    `Blob ${hex(blobKey)} (batch index ${index}) is not fully held by this shard`,
    { blobKey: hex(blobKey), index, columns: [...columns] },
  );
}

function checkKey(blobKey: Uint8Array): void {
  if (blobKey.length !== HASH_BYTES) {
    throw invalidArgument(StorageErrorCode.invalidRequest, "Blob key must be 32 bytes", {
      length: blobKey.length,
    });
  }
}

function splitCells(data: Uint8Array, cellSize: number): Uint8Array[] {
  const cells: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += cellSize) cells.push(data.subarray(o, o + cellSize));
  return cells;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
