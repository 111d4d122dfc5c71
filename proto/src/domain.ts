/**
 * Conversions between the generated wire messages and the protocol library's domain types, so
 * every service reads and writes headers, certificates and proofs the same way. The two forms
 * differ in two places only: uint64 fields are bigint on the wire and safe-integer numbers in the
 * domain (a nonce stays bigint), and a Merkle proof's position is `leafIndex` on the wire and
 * `index` in the domain.
 *
 * From the wire, conversions only check what the domain type cannot hold: a uint64 above 2^53 - 1
 * throws a FieldRangeError naming the field. Field rules (lengths, ranges, presets) are the
 * protocol's validate* functions, which callers run where they need them, and callers map errors
 * to their own codes.
 */
import { create } from "@bufbuild/protobuf";
import type { BatchHeader, BlobHeader, Certificate, MerkleProof, NetworkPreset } from "@tributary/protocol";
import { BlobHeaderSchema, type BlobHeader as ProtoBlobHeader } from "./gen/tributary/common/v1/blob_pb.ts";
import {
  BatchHeaderSchema,
  BlobInclusionSchema,
  CertificateSchema,
  type BatchHeader as ProtoBatchHeader,
  type BlobInclusion as ProtoBlobInclusion,
  type Certificate as ProtoCertificate,
  type StorageReceipt as ProtoStorageReceipt,
  StorageReceiptSchema,
} from "./gen/tributary/common/v1/certificate_pb.ts";
import {
  MerkleProofSchema,
  type MerkleProof as ProtoMerkleProof,
} from "./gen/tributary/common/v1/proof_pb.ts";

/** A wire uint64 that does not fit the domain's number; `field` names it for the caller's error. */
export class FieldRangeError extends RangeError {
  readonly field: string;

  constructor(field: string) {
    super(`${field} out of range`);
    this.name = "FieldRangeError";
    this.field = field;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A wire uint64 as a number; throws FieldRangeError above 2^53 - 1 rather than losing precision. */
export function uint64ToNumber(value: bigint, field: string): number {
  if (value < 0n || value > MAX_SAFE) throw new FieldRangeError(field);
  return Number(value);
}

/** A blob's position in its batch and its inclusion proof under the batch root. */
export type BlobInclusion = { readonly blobIndex: number; readonly proof: MerkleProof };

/** What a storage shard acknowledged, in domain form. */
export interface StorageReceipt {
  readonly blobKey: Uint8Array;
  readonly shardId: string;
  readonly epoch: number;
  readonly columns: readonly number[];
  readonly storedAtMs: number;
}

/** The domain header of a wire header; not validated (see validateBlobHeader). */
export function blobHeaderFromProto(h: ProtoBlobHeader): BlobHeader {
  return {
    version: h.version,
    preset: h.preset as NetworkPreset["name"],
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: uint64ToNumber(h.timestampMs, "timestampMs"),
    size: h.size,
    k: h.squareWidth,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: uint64ToNumber(h.retentionSeconds, "retentionSeconds"),
    epoch: uint64ToNumber(h.epoch, "epoch"),
  };
}

export function blobHeaderToProto(h: BlobHeader): ProtoBlobHeader {
  return create(BlobHeaderSchema, {
    version: h.version,
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: BigInt(h.timestampMs),
    size: h.size,
    squareWidth: h.k,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: BigInt(h.retentionSeconds),
    epoch: BigInt(h.epoch),
    preset: h.preset,
  });
}

/** The domain batch header of a wire one; not validated (see validateBatchHeader). */
export function batchHeaderFromProto(h: ProtoBatchHeader): BatchHeader {
  return {
    epoch: uint64ToNumber(h.epoch, "epoch"),
    batchRoot: h.batchRoot,
    blobCount: h.blobCount,
    createdAtMs: uint64ToNumber(h.createdAtMs, "createdAtMs"),
    attesterId: h.attesterId,
  };
}

export function batchHeaderToProto(h: BatchHeader): ProtoBatchHeader {
  return create(BatchHeaderSchema, {
    epoch: BigInt(h.epoch),
    batchRoot: h.batchRoot,
    blobCount: h.blobCount,
    createdAtMs: BigInt(h.createdAtMs),
    attesterId: h.attesterId,
  });
}

/** Throws a RangeError when the batch header is missing: a certificate without one names nothing. */
export function certificateFromProto(c: ProtoCertificate): Certificate {
  if (c.batchHeader === undefined) throw new RangeError("certificate has no batch header");
  return {
    batchHeader: batchHeaderFromProto(c.batchHeader),
    signerBitmap: c.signerBitmap,
    aggregateSignature: c.aggregateSignature,
  };
}

export function certificateToProto(c: Certificate): ProtoCertificate {
  return create(CertificateSchema, {
    batchHeader: batchHeaderToProto(c.batchHeader),
    signerBitmap: c.signerBitmap,
    aggregateSignature: c.aggregateSignature,
  });
}

export function merkleProofFromProto(p: ProtoMerkleProof): MerkleProof {
  return { index: p.leafIndex, siblings: p.siblings };
}

export function merkleProofToProto(p: MerkleProof): ProtoMerkleProof {
  return create(MerkleProofSchema, { leafIndex: p.index, siblings: [...p.siblings] });
}

/**
 * A missing proof becomes index -1 with no siblings rather than an error: verifyBatchInclusion
 * then rejects it, so the caller reports one "inclusion does not verify" for both cases.
 */
export function inclusionFromProto(i: ProtoBlobInclusion): BlobInclusion {
  return {
    blobIndex: i.blobIndex,
    proof: i.proof === undefined ? { index: -1, siblings: [] } : merkleProofFromProto(i.proof),
  };
}

export function inclusionToProto(i: BlobInclusion): ProtoBlobInclusion {
  return create(BlobInclusionSchema, { blobIndex: i.blobIndex, proof: merkleProofToProto(i.proof) });
}

export function storageReceiptFromProto(r: ProtoStorageReceipt): StorageReceipt {
  return {
    blobKey: r.blobKey,
    shardId: r.shardId,
    epoch: uint64ToNumber(r.epoch, "epoch"),
    columns: r.columns,
    storedAtMs: uint64ToNumber(r.storedAtMs, "storedAtMs"),
  };
}

export function storageReceiptToProto(r: StorageReceipt): ProtoStorageReceipt {
  return create(StorageReceiptSchema, {
    blobKey: r.blobKey,
    shardId: r.shardId,
    epoch: BigInt(r.epoch),
    columns: [...r.columns],
    storedAtMs: BigInt(r.storedAtMs),
  });
}
