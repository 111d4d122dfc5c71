/**
 * Custody assignment: which storage shards hold column j of a blob, and which consensus shard
 * orders a namespace. Both are rendezvous (highest-random-weight) hashing, Thaler & Ravishankar,
 * "Using name-based mappings to increase hit rates", IEEE/ACM ToN 6(1), 1998: every candidate
 * gets a pseudo-random score for the item and the highest scores win. Adding or removing one of
 * n candidates therefore only moves the items that candidate wins or loses (~1/(n+1) of them),
 * and nothing else depends on the order or number of the other candidates.
 *
 * CONSENSUS-CRITICAL. Storage shards, attesters and every certificate verifier must compute
 * identical results, so the function is specified exactly here (and pinned by
 * test/vectors/assignment.json). All integers are unsigned 32-bit; `*` is multiplication modulo
 * 2^32 (Math.imul), `^` is XOR, `>>>` a logical right shift, u32be(b) the big-endian integer of
 * the first 4 bytes of b, ASCII(s) the bytes of an ASCII string.
 *
 *   mix(x)       = x ^= x >>> 16; x *= 0x7feb352d; x ^= x >>> 15; x *= 0x846ca68b; x ^= x >>> 16
 *                  (Wellons' "lowbias32" finaliser; a bijection on 32-bit integers)
 *   seed         = SHA-256(ASCII("TRIBUTARY/ASSIGN/COLUMN/v1") || blobKey)        (blobKey: 32 B)
 *   b0, b1       = u32be(seed[0..4]), u32be(seed[4..8])
 *   tag(id)      = u32be(SHA-256(ASCII("TRIBUTARY/ASSIGN/SHARD/v1") || ASCII(id)))
 *   shardKey(id) = mix(b0 ^ tag(id))
 *   colKey(j)    = mix(b1 + j * 0x9e3779b9)
 *   score(id, j) = mix(shardKey(id) ^ colKey(j))
 *
 *   storageShardsForColumn(epoch, blobKey, j) = the `epoch.replication` storage shards with the
 *   highest score(id, j), ordered by score descending; equal scores are ordered by id ascending
 *   (ids are ASCII, so this is byte order). Weights do not influence custody (they are voting
 *   weights only).
 *
 * Cost: one SHA-256 per blob plus one per shard per epoch (cached), then per (column, shard)
 * one XOR, one mix (5 integer ops) and a comparison.
 *
 *   consensusShardForNamespace(epoch, ns) = the consensus shard whose
 *   SHA-256(ASCII("TRIBUTARY/ASSIGN/NAMESPACE/v1") || u8(len(id)) || ASCII(id) || ns) is largest
 *   as a 32-byte big-endian number (ties: smaller id). One SHA-256 per consensus shard.
 */
import { createHash } from "node:crypto";
import type { EpochMembership, StorageShardMember } from "./epoch.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";

export const ASSIGN_COLUMN_DOMAIN = "TRIBUTARY/ASSIGN/COLUMN/v1";
export const ASSIGN_SHARD_DOMAIN = "TRIBUTARY/ASSIGN/SHARD/v1";
export const ASSIGN_NAMESPACE_DOMAIN = "TRIBUTARY/ASSIGN/NAMESPACE/v1";
const GOLDEN = 0x9e3779b9 | 0;
const BLOB_KEY_BYTES = 32;
/** Largest column index accepted (2k <= 256 today; headroom for larger squares). */
export const MAX_COLUMN_COUNT = 1 << 16;

/** Wellons' lowbias32 integer finaliser (bijective on uint32). Returns an unsigned 32-bit value. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function u32be(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

interface ShardTable {
  readonly tags: Uint32Array;
  /** rank[i] = position of shard i when shards are sorted by id ascending (tie-break). */
  readonly rank: Int32Array;
}

const shardTables = new WeakMap<readonly StorageShardMember[], ShardTable>();

function shardTable(shards: readonly StorageShardMember[]): ShardTable {
  let table = shardTables.get(shards);
  if (table === undefined) {
    const n = shards.length;
    const tags = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      tags[i] = u32be(
        createHash("sha256").update(ASSIGN_SHARD_DOMAIN, "ascii").update(shards[i]!.id, "ascii").digest(),
      );
    }
    const order = [...Array(n).keys()].sort((a, b) => compareIds(shards[a]!.id, shards[b]!.id));
    const rank = new Int32Array(n);
    order.forEach((shardIndex, position) => {
      rank[shardIndex] = position;
    });
    table = { tags, rank };
    shardTables.set(shards, table);
  }
  return table;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkBlobKey(blobKey: Uint8Array): void {
  if (!(blobKey instanceof Uint8Array) || blobKey.length !== BLOB_KEY_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "blobKey must be 32 bytes");
  }
}

function checkColumnCount(columnCount: number): void {
  if (!Number.isInteger(columnCount) || columnCount < 1 || columnCount > MAX_COLUMN_COUNT) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "columnCount out of range", { columnCount });
  }
}

/**
 * Per-blob assignment state: hashes the blob key once and derives each shard's key, so any number
 * of columns can then be assigned at integer-mixing cost. Reuse it for all columns of one blob.
 */
export class ColumnAssignment {
  readonly replication: number;
  readonly shardCount: number;
  readonly #shards: readonly StorageShardMember[];
  readonly #rank: Int32Array;
  readonly #shardKeys: Uint32Array;
  readonly #b1: number;
  readonly #topScore: Uint32Array;
  readonly #topIndex: Int32Array;

  constructor(epoch: EpochMembership, blobKey: Uint8Array) {
    checkBlobKey(blobKey);
    const shards = epoch.storageShards;
    const r = epoch.replication;
    if (!Number.isInteger(r) || r < 1 || r > shards.length) {
      throw new ProtocolError(
        ProtocolErrorCode.invalidEpoch,
        "replication must be in [1, storageShards.length]",
      );
    }
    const seed = createHash("sha256").update(ASSIGN_COLUMN_DOMAIN, "ascii").update(blobKey).digest();
    const b0 = u32be(seed);
    this.#b1 = u32be(seed.subarray(4));
    const { tags, rank } = shardTable(shards);
    const keys = new Uint32Array(shards.length);
    for (let i = 0; i < shards.length; i++) keys[i] = mix32((b0 ^ tags[i]!) >>> 0);
    this.#shards = shards;
    this.#rank = rank;
    this.#shardKeys = keys;
    this.replication = r;
    this.shardCount = shards.length;
    this.#topScore = new Uint32Array(r);
    this.#topIndex = new Int32Array(r);
  }

  /**
   * Indices (into epoch.storageShards) of the shards holding `column`, best first, written to
   * `out` (length >= replication) when given. Returns the array written.
   */
  shardIndicesForColumn(column: number, out?: Int32Array): Int32Array {
    if (!Number.isInteger(column) || column < 0 || column >= MAX_COLUMN_COUNT) {
      throw new ProtocolError(ProtocolErrorCode.invalidParams, "column out of range", { column });
    }
    const r = this.replication;
    const keys = this.#shardKeys;
    const rank = this.#rank;
    const topScore = this.#topScore;
    const topIndex = this.#topIndex;
    const colKey = mix32((this.#b1 + Math.imul(column, GOLDEN)) >>> 0);
    let filled = 0;
    for (let i = 0; i < keys.length; i++) {
      const s = mix32((keys[i]! ^ colKey) >>> 0);
      // Insert (s, i) into the descending top-r list if it beats the current last entry.
      let pos = filled;
      while (pos > 0) {
        const ps = topScore[pos - 1]!;
        if (s > ps || (s === ps && rank[i]! < rank[topIndex[pos - 1]!]!)) pos--;
        else break;
      }
      if (pos >= r) continue;
      const last = filled < r ? filled : r - 1;
      for (let q = last; q > pos; q--) {
        topScore[q] = topScore[q - 1]!;
        topIndex[q] = topIndex[q - 1]!;
      }
      topScore[pos] = s;
      topIndex[pos] = i;
      if (filled < r) filled++;
    }
    const result = out ?? new Int32Array(r);
    result.set(topIndex);
    return result;
  }

  /** Ids of the shards holding `column`, best first. */
  shardsForColumn(column: number): string[] {
    return Array.from(this.shardIndicesForColumn(column), (i) => this.#shards[i]!.id);
  }
}

/** The `epoch.replication` storage shard ids that hold `column` of the blob, best first. */
export function storageShardsForColumn(
  epoch: EpochMembership,
  blobKey: Uint8Array,
  column: number,
): string[] {
  return new ColumnAssignment(epoch, blobKey).shardsForColumn(column);
}

/**
 * Flat holder table for columns 0..columnCount-1: entry [j * r + q] is the index (into
 * epoch.storageShards) of column j's q-th holder.
 */
export function columnHolderIndices(
  epoch: EpochMembership,
  blobKey: Uint8Array,
  columnCount: number,
): Int32Array {
  checkColumnCount(columnCount);
  const a = new ColumnAssignment(epoch, blobKey);
  const r = a.replication;
  const out = new Int32Array(columnCount * r);
  for (let j = 0; j < columnCount; j++) a.shardIndicesForColumn(j, out.subarray(j * r, (j + 1) * r));
  return out;
}

/** Columns in [0, columnCount) that `shardId` holds for the blob, ascending. Empty if not a member. */
export function columnsForShard(
  epoch: EpochMembership,
  blobKey: Uint8Array,
  columnCount: number,
  shardId: string,
): number[] {
  checkColumnCount(columnCount);
  const index = epoch.storageShards.findIndex((s) => s.id === shardId);
  if (index < 0) return [];
  const a = new ColumnAssignment(epoch, blobKey);
  const buf = new Int32Array(a.replication);
  const columns: number[] = [];
  for (let j = 0; j < columnCount; j++) {
    if (a.shardIndicesForColumn(j, buf).includes(index)) columns.push(j);
  }
  return columns;
}

/** The consensus shard that orders `namespace` (rendezvous hash over the epoch's consensus shards). */
export function consensusShardForNamespace(epoch: EpochMembership, namespace: Uint8Array): string {
  if (!(namespace instanceof Uint8Array) || namespace.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.invalidNamespace, "namespace must be a non-empty byte array");
  }
  const shards = epoch.consensusShards;
  if (shards.length === 0)
    throw new ProtocolError(ProtocolErrorCode.invalidEpoch, "epoch has no consensus shards");
  let bestId = "";
  let best: Buffer | undefined;
  for (const shard of shards) {
    const d = createHash("sha256")
      .update(ASSIGN_NAMESPACE_DOMAIN, "ascii")
      .update(Uint8Array.of(shard.id.length))
      .update(shard.id, "ascii")
      .update(namespace)
      .digest();
    const c = best === undefined ? 1 : Buffer.compare(d, best);
    if (c > 0 || (c === 0 && compareIds(shard.id, bestId) < 0)) {
      best = d;
      bestId = shard.id;
    }
  }
  return bestId;
}
