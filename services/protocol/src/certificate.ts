/**
 * Availability certificates: a batch header, a signer bitmap over the epoch's storage shards and
 * the BLS aggregate of their signatures over batchSigningMessage(header).
 *
 * A certificate is valid for an epoch and a batch of blobs iff, in this order (cheap checks first):
 *   1. header.epoch == epoch.epoch, and the header is well formed;
 *   2. (full batch) the blob list has header.blobCount entries whose batch root is header.batchRoot;
 *      (single blob) the inclusion proof places the blob under header.batchRoot;
 *   3. the bitmap is exactly ceil(n/8) bytes for n = storageShards.length, bit i (byte i >> 3,
 *      mask 1 << (i & 7), i.e. LSB-first) set iff storageShards[i] signed, padding bits zero, and
 *      at least one bit set;
 *   4. signer weight * 3 >= total weight * 2;
 *   5. for every blob, the columns in [0, 2k) assigned (assignment.ts) to at least one signer number
 *      at least min(k + columnMargin, 2k): any k columns rebuild every row, the margin is slack
 *      against shards that signed but lose data;
 *   6. FastAggregateVerify(signers' keys, batchSigningMessage(header), aggregateSignature).
 * The keys come from the epoch, which must have passed validateEpoch (proofs of possession).
 */
import { ColumnAssignment } from "./assignment.ts";
import type { BatchHeader } from "./batch.ts";
import { batchRoot, batchSigningMessage, validateBatchHeader, verifyBatchInclusion } from "./batch.ts";
import { aggregateSignatures, fastAggregateVerify, verify } from "./bls.ts";
import type { EpochMembership } from "./epoch.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import type { MerkleProof } from "./merkle.ts";
import { bytesEqual } from "./merkle.ts";
import { MAX_K } from "./reedSolomon.ts";

export interface Certificate {
  readonly batchHeader: BatchHeader;
  /** Bit i (LSB-first within each byte) set iff epoch.storageShards[i] signed. */
  readonly signerBitmap: Uint8Array;
  /** 96-byte compressed G2 aggregate signature. */
  readonly aggregateSignature: Uint8Array;
}

/** A blob as the certificate check needs it: its key and the original square width k. */
export interface CertifiedBlob {
  readonly blobKey: Uint8Array;
  readonly k: number;
}

export type CertificateCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: ProtocolErrorCode; readonly reason: string };

export interface VerifyCertificateOptions {
  /** Skip step 6 (the pairing check). Only for callers that verified this exact certificate already. */
  readonly skipSignatureCheck?: boolean;
}

const OK: CertificateCheck = { ok: true };

function reject(code: ProtocolErrorCode, reason: string): CertificateCheck {
  return { ok: false, code, reason };
}

export function signerBitmapLength(shardCount: number): number {
  return Math.ceil(shardCount / 8);
}

/** Bitmap with the given shard indices set. Throws on out-of-range or duplicate indices. */
export function encodeSignerBitmap(signerIndices: Iterable<number>, shardCount: number): Uint8Array {
  const bitmap = new Uint8Array(signerBitmapLength(shardCount));
  for (const i of signerIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= shardCount) {
      throw new ProtocolError(ProtocolErrorCode.invalidBitmap, "signer index out of range", {
        index: i,
        shardCount,
      });
    }
    const mask = 1 << (i & 7);
    if ((bitmap[i >> 3]! & mask) !== 0) {
      throw new ProtocolError(ProtocolErrorCode.invalidBitmap, "duplicate signer index", { index: i });
    }
    bitmap[i >> 3]! |= mask;
  }
  return bitmap;
}

/** Ascending signer indices. Throws ProtocolError(invalidBitmap) on a wrong length or set padding bits. */
export function decodeSignerBitmap(bitmap: Uint8Array, shardCount: number): number[] {
  if (!(bitmap instanceof Uint8Array) || bitmap.length !== signerBitmapLength(shardCount)) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidBitmap,
      "signer bitmap must be ceil(shardCount / 8) bytes",
      {
        length: bitmap instanceof Uint8Array ? bitmap.length : undefined,
        shardCount,
      },
    );
  }
  const signers: number[] = [];
  for (let byte = 0; byte < bitmap.length; byte++) {
    const b = bitmap[byte]!;
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if ((b & (1 << bit)) === 0) continue;
      const index = byte * 8 + bit;
      if (index >= shardCount) {
        throw new ProtocolError(ProtocolErrorCode.invalidBitmap, "signer bitmap has padding bits set", {
          index,
        });
      }
      signers.push(index);
    }
  }
  return signers;
}

/** True iff `signature` is storage shard `shardIndex`'s valid signature over the batch header. */
export function verifyBatchSignature(
  epoch: EpochMembership,
  shardIndex: number,
  header: BatchHeader,
  signature: Uint8Array,
): boolean {
  const shard = epoch.storageShards[shardIndex];
  if (shard === undefined) return false;
  let message: Uint8Array;
  try {
    message = batchSigningMessage(header);
  } catch {
    return false;
  }
  return verify(shard.blsPublicKey, message, signature);
}

/**
 * Aggregates per-shard signatures into a certificate. The attester should check each signature
 * with verifyBatchSignature as it arrives: this function does not, and one bad signature makes
 * the aggregate invalid. Throws ProtocolError on an empty map or out-of-range index.
 */
export function buildCertificate(
  header: BatchHeader,
  epoch: EpochMembership,
  signaturesByShardIndex: ReadonlyMap<number, Uint8Array>,
): Certificate {
  validateBatchHeader(header);
  if (header.epoch !== epoch.epoch) {
    throw new ProtocolError(ProtocolErrorCode.epochMismatch, "batch header names another epoch", {
      headerEpoch: header.epoch,
      epoch: epoch.epoch,
    });
  }
  const indices = [...signaturesByShardIndex.keys()].sort((a, b) => a - b);
  const signerBitmap = encodeSignerBitmap(indices, epoch.storageShards.length);
  const aggregateSignature = aggregateSignatures(indices.map((i) => signaturesByShardIndex.get(i)!));
  return { batchHeader: header, signerBitmap, aggregateSignature };
}

function checkSquareWidth(k: number): boolean {
  return Number.isInteger(k) && k >= 1 && k <= MAX_K && (k & (k - 1)) === 0;
}

/** Number of columns of a blob held by at least one signer, stopping once `enough` is reached. */
function coveredColumns(
  epoch: EpochMembership,
  blob: CertifiedBlob,
  isSigner: Uint8Array,
  enough: number,
): number {
  const assignment = new ColumnAssignment(epoch, blob.blobKey);
  const holders = new Int32Array(assignment.replication);
  const columnCount = 2 * blob.k;
  let covered = 0;
  for (let j = 0; j < columnCount && covered < enough; j++) {
    assignment.shardIndicesForColumn(j, holders);
    for (let q = 0; q < holders.length; q++) {
      if (isSigner[holders[q]!] === 1) {
        covered++;
        break;
      }
    }
  }
  return covered;
}

/** Columns a certificate's signers must hold for a blob of original width k. */
export function requiredColumns(epoch: EpochMembership, k: number): number {
  return Math.min(k + epoch.columnMargin, 2 * k);
}

function checkSignersAndBlobs(
  cert: Certificate,
  epoch: EpochMembership,
  blobs: readonly CertifiedBlob[],
  options: VerifyCertificateOptions,
): CertificateCheck {
  const shards = epoch.storageShards;
  let signers: number[];
  try {
    signers = decodeSignerBitmap(cert.signerBitmap, shards.length);
  } catch (e) {
    return reject(ProtocolErrorCode.invalidBitmap, e instanceof Error ? e.message : "invalid signer bitmap");
  }
  if (signers.length === 0) return reject(ProtocolErrorCode.belowThreshold, "certificate has no signers");

  let total = 0;
  for (const s of shards) total += s.weight;
  let signed = 0;
  const isSigner = new Uint8Array(shards.length);
  for (const i of signers) {
    signed += shards[i]!.weight;
    isSigner[i] = 1;
  }
  if (signed * 3 < total * 2) {
    return reject(ProtocolErrorCode.belowThreshold, `signer weight ${signed} of ${total} is below 2/3`);
  }

  for (const blob of blobs) {
    if (!checkSquareWidth(blob.k)) {
      return reject(
        ProtocolErrorCode.invalidParams,
        `square width k=${blob.k} is not a power of two <= ${MAX_K}`,
      );
    }
    const need = requiredColumns(epoch, blob.k);
    let covered: number;
    try {
      covered = coveredColumns(epoch, blob, isSigner, need);
    } catch (e) {
      return reject(ProtocolErrorCode.invalidParams, e instanceof Error ? e.message : "invalid blob");
    }
    if (covered < need) {
      return reject(
        ProtocolErrorCode.insufficientColumns,
        `signers hold ${covered} distinct columns of blob ${Buffer.from(blob.blobKey).toString("hex")}, need ${need}`,
      );
    }
  }

  if (options.skipSignatureCheck === true) return OK;
  const keys = signers.map((i) => shards[i]!.blsPublicKey);
  if (!fastAggregateVerify(keys, batchSigningMessage(cert.batchHeader), cert.aggregateSignature)) {
    return reject(ProtocolErrorCode.invalidSignature, "aggregate signature does not verify");
  }
  return OK;
}

function checkHeader(cert: Certificate, epoch: EpochMembership): CertificateCheck {
  try {
    validateBatchHeader(cert.batchHeader);
  } catch (e) {
    return reject(ProtocolErrorCode.invalidHeader, e instanceof Error ? e.message : "invalid batch header");
  }
  if (cert.batchHeader.epoch !== epoch.epoch) {
    return reject(
      ProtocolErrorCode.epochMismatch,
      `certificate is for epoch ${cert.batchHeader.epoch}, membership is epoch ${epoch.epoch}`,
    );
  }
  return OK;
}

/**
 * Verifies a certificate for a whole batch: `blobs` are all of the batch's blobs in batch order
 * (their keys must reproduce header.batchRoot). Never throws; returns the first failed check.
 */
export function verifyCertificate(
  cert: Certificate,
  epoch: EpochMembership,
  blobs: readonly CertifiedBlob[],
  options: VerifyCertificateOptions = {},
): CertificateCheck {
  const header = checkHeader(cert, epoch);
  if (!header.ok) return header;
  if (blobs.length !== cert.batchHeader.blobCount) {
    return reject(
      ProtocolErrorCode.rootMismatch,
      `batch has ${cert.batchHeader.blobCount} blobs, ${blobs.length} were given`,
    );
  }
  let root: Uint8Array;
  try {
    root = batchRoot(blobs.map((b) => b.blobKey));
  } catch (e) {
    return reject(ProtocolErrorCode.invalidParams, e instanceof Error ? e.message : "invalid blob keys");
  }
  if (!bytesEqual(root, cert.batchHeader.batchRoot)) {
    return reject(ProtocolErrorCode.rootMismatch, "blob keys do not reproduce the batch root");
  }
  return checkSignersAndBlobs(cert, epoch, blobs, options);
}

/**
 * Verifies one blob's certificate: the batch certificate plus the blob's inclusion proof under
 * header.batchRoot. Checks the column coverage for this blob only. Never throws.
 */
export function verifyBlobCertificate(
  cert: Certificate,
  inclusion: MerkleProof,
  blob: CertifiedBlob,
  epoch: EpochMembership,
  options: VerifyCertificateOptions = {},
): CertificateCheck {
  const header = checkHeader(cert, epoch);
  if (!header.ok) return header;
  if (
    !verifyBatchInclusion(blob.blobKey, inclusion, cert.batchHeader.blobCount, cert.batchHeader.batchRoot)
  ) {
    return reject(
      ProtocolErrorCode.invalidProof,
      "blob inclusion proof does not verify against the batch root",
    );
  }
  return checkSignersAndBlobs(cert, epoch, [blob], options);
}
