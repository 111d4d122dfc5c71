/**
 * Dispersal batches. An attester groups blobs whose columns are durably stored; the batch root is
 * the RFC 6962 Merkle root over the blob keys (leaf = hashLeaf(blobKey)), and each storage shard
 * BLS-signs one domain-separated message naming the batch root, so one pairing check covers the
 * whole batch. A single blob's certificate adds its inclusion proof.
 *
 * Canonical BatchHeader bytes (all integers big-endian, version 1):
 *
 *   offset  size  field
 *   0       1     version = 0x01
 *   1       8     epoch            (uint64, must be a safe integer)
 *   9       32    batchRoot
 *   41      4     blobCount        (uint32, 1..MAX_BATCH_BLOBS)
 *   45      8     createdAtMs      (uint64, milliseconds since the Unix epoch, safe integer)
 *   53      1     len(attesterId)  (1..255)
 *   54      len   attesterId       (ASCII [A-Za-z0-9._-])
 *
 * Signed message: ASCII("TRIBUTARY/BATCH/v1") || canonical header bytes.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import type { MerkleProof } from "./merkle.ts";
import { bytesEqual, HASH_BYTES, hashLeaf, merkleProof, merkleRoot, verifyMerkleProof } from "./merkle.ts";

export const BATCH_HEADER_VERSION = 1;
export const BATCH_SIGNING_DOMAIN = "TRIBUTARY/BATCH/v1";
/** Upper bound on blobs per batch (keeps proofs <= 20 siblings and certificate checks bounded). */
export const MAX_BATCH_BLOBS = 1 << 20;
const ATTESTER_ID_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;
const FIXED_BYTES = 54;

export interface BatchHeader {
  readonly epoch: number;
  readonly batchRoot: Uint8Array;
  readonly blobCount: number;
  readonly createdAtMs: number;
  readonly attesterId: string;
}

function invalid(message: string, meta: Record<string, unknown> = {}): never {
  throw new ProtocolError(ProtocolErrorCode.invalidHeader, message, meta);
}

function checkBlobKeys(blobKeys: readonly Uint8Array[]): void {
  if (blobKeys.length === 0 || blobKeys.length > MAX_BATCH_BLOBS) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "a batch holds 1..MAX_BATCH_BLOBS blobs", {
      blobCount: blobKeys.length,
    });
  }
  for (const key of blobKeys) {
    if (!(key instanceof Uint8Array) || key.length !== HASH_BYTES) {
      throw new ProtocolError(ProtocolErrorCode.invalidParams, "blobKey must be 32 bytes");
    }
  }
}

/** Leaf hashes of a batch: hashLeaf(blobKey) for each blob, in batch order. */
export function batchLeaves(blobKeys: readonly Uint8Array[]): Uint8Array[] {
  checkBlobKeys(blobKeys);
  return blobKeys.map((key) => hashLeaf(key));
}

/** Merkle root over hashLeaf(blobKey) in batch order (RFC 6962 shape). */
export function batchRoot(blobKeys: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(batchLeaves(blobKeys));
}

/** Inclusion proof of blobKeys[index] in the batch. */
export function batchInclusionProof(blobKeys: readonly Uint8Array[], index: number): MerkleProof {
  return merkleProof(batchLeaves(blobKeys), index);
}

/** True iff `proof` places `blobKey` in a batch of `blobCount` blobs with root `root`. Never throws. */
export function verifyBatchInclusion(
  blobKey: Uint8Array,
  proof: MerkleProof,
  blobCount: number,
  root: Uint8Array,
): boolean {
  if (!(blobKey instanceof Uint8Array) || blobKey.length !== HASH_BYTES) return false;
  if (!Number.isInteger(blobCount) || blobCount < 1 || blobCount > MAX_BATCH_BLOBS) return false;
  if (!(root instanceof Uint8Array) || root.length !== HASH_BYTES) return false;
  return verifyMerkleProof(hashLeaf(blobKey), proof, blobCount, root);
}

/** Throws ProtocolError(invalidHeader) unless every field is in range. */
export function validateBatchHeader(header: BatchHeader): void {
  if (!Number.isSafeInteger(header.epoch) || header.epoch < 0)
    invalid("epoch must be a non-negative integer");
  if (!(header.batchRoot instanceof Uint8Array) || header.batchRoot.length !== HASH_BYTES) {
    invalid("batchRoot must be 32 bytes");
  }
  if (!Number.isInteger(header.blobCount) || header.blobCount < 1 || header.blobCount > MAX_BATCH_BLOBS) {
    invalid("blobCount out of range", { blobCount: header.blobCount });
  }
  if (!Number.isSafeInteger(header.createdAtMs) || header.createdAtMs < 0) {
    invalid("createdAtMs must be a non-negative integer");
  }
  if (typeof header.attesterId !== "string" || !ATTESTER_ID_PATTERN.test(header.attesterId)) {
    invalid("attesterId must be 1-255 chars of [A-Za-z0-9._-]");
  }
}

/** Canonical header bytes (layout in the module doc). Throws on out-of-range fields. */
export function encodeBatchHeader(header: BatchHeader): Uint8Array {
  validateBatchHeader(header);
  const id = Buffer.from(header.attesterId, "ascii");
  const out = new Uint8Array(FIXED_BYTES + id.length);
  const view = new DataView(out.buffer);
  out[0] = BATCH_HEADER_VERSION;
  view.setBigUint64(1, BigInt(header.epoch), false);
  out.set(header.batchRoot, 9);
  view.setUint32(41, header.blobCount, false);
  view.setBigUint64(45, BigInt(header.createdAtMs), false);
  out[53] = id.length;
  out.set(id, FIXED_BYTES);
  return out;
}

/** Strict inverse of encodeBatchHeader: rejects unknown versions, trailing bytes and out-of-range fields. */
export function decodeBatchHeader(bytes: Uint8Array): BatchHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length < FIXED_BYTES + 1) invalid("batch header too short");
  if (bytes[0] !== BATCH_HEADER_VERSION) invalid("unknown batch header version", { version: bytes[0] });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idLength = bytes[53]!;
  if (bytes.length !== FIXED_BYTES + idLength) invalid("batch header length mismatch");
  const epoch = view.getBigUint64(1, false);
  const createdAtMs = view.getBigUint64(45, false);
  if (epoch > BigInt(Number.MAX_SAFE_INTEGER) || createdAtMs > BigInt(Number.MAX_SAFE_INTEGER)) {
    invalid("integer field exceeds 2^53 - 1");
  }
  const header: BatchHeader = {
    epoch: Number(epoch),
    batchRoot: bytes.slice(9, 41),
    blobCount: view.getUint32(41, false),
    createdAtMs: Number(createdAtMs),
    attesterId: Buffer.from(bytes.subarray(FIXED_BYTES)).toString("latin1"),
  };
  validateBatchHeader(header);
  return header;
}

/** The exact bytes storage shards BLS-sign: ASCII("TRIBUTARY/BATCH/v1") || canonical header. */
export function batchSigningMessage(header: BatchHeader): Uint8Array {
  const body = encodeBatchHeader(header);
  const domain = Buffer.from(BATCH_SIGNING_DOMAIN, "ascii");
  const out = new Uint8Array(domain.length + body.length);
  out.set(domain);
  out.set(body, domain.length);
  return out;
}

export function batchHeadersEqual(a: BatchHeader, b: BatchHeader): boolean {
  return (
    a.epoch === b.epoch &&
    bytesEqual(a.batchRoot, b.batchRoot) &&
    a.blobCount === b.blobCount &&
    a.createdAtMs === b.createdAtMs &&
    a.attesterId === b.attesterId
  );
}
