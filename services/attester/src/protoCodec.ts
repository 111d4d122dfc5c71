/**
 * Proto <-> protocol conversions at the attester's edge. The protocol library works on its own
 * plain types (numbers for epochs and times, `index` in Merkle proofs); the wire uses the
 * generated protobuf-es messages (uint64 as bigint, `leafIndex`).
 */
import { create } from "@bufbuild/protobuf";
import type { BlobHeader as ProtoBlobHeader } from "@tributary/proto/tributary/common/v1/blob";
import { BlobHeaderSchema } from "@tributary/proto/tributary/common/v1/blob";
import {
  BatchHeaderSchema,
  BlobInclusionSchema,
  CertificateSchema,
  type BatchHeader as ProtoBatchHeader,
  type BlobInclusion as ProtoBlobInclusion,
  type Certificate as ProtoCertificate,
} from "@tributary/proto/tributary/common/v1/certificate";
import { MerkleProofSchema } from "@tributary/proto/tributary/common/v1/proof";
import type { BatchHeader, BlobHeader, Certificate, MerkleProof, NetworkPreset } from "@tributary/protocol";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safe(v: bigint, field: string): number {
  if (v < 0n || v > MAX_SAFE) throw new RangeError(`${field} out of range`);
  return Number(v);
}

/** The protocol header of a wire header. Throws on out-of-range integers; validate afterwards. */
export function blobHeaderFromProto(h: ProtoBlobHeader): BlobHeader {
  return {
    version: h.version,
    preset: h.preset as NetworkPreset["name"],
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: safe(h.timestampMs, "timestampMs"),
    size: h.size,
    k: h.squareWidth,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: safe(h.retentionSeconds, "retentionSeconds"),
    epoch: safe(h.epoch, "epoch"),
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

export function batchHeaderToProto(h: BatchHeader): ProtoBatchHeader {
  return create(BatchHeaderSchema, {
    epoch: BigInt(h.epoch),
    batchRoot: h.batchRoot,
    blobCount: h.blobCount,
    createdAtMs: BigInt(h.createdAtMs),
    attesterId: h.attesterId,
  });
}

export function batchHeaderFromProto(h: ProtoBatchHeader): BatchHeader {
  return {
    epoch: safe(h.epoch, "epoch"),
    batchRoot: h.batchRoot,
    blobCount: h.blobCount,
    createdAtMs: safe(h.createdAtMs, "createdAtMs"),
    attesterId: h.attesterId,
  };
}

export function certificateToProto(c: Certificate): ProtoCertificate {
  return create(CertificateSchema, {
    batchHeader: batchHeaderToProto(c.batchHeader),
    signerBitmap: c.signerBitmap,
    aggregateSignature: c.aggregateSignature,
  });
}

export function inclusionToProto(blobIndex: number, proof: MerkleProof): ProtoBlobInclusion {
  return create(BlobInclusionSchema, {
    blobIndex,
    proof: create(MerkleProofSchema, { leafIndex: proof.index, siblings: [...proof.siblings] }),
  });
}
