/**
 * proto <-> domain conversions for the messages the storage shard speaks. Proto uint64 fields are
 * bigint; the protocol library uses safe-integer numbers (nonce stays bigint). Every conversion
 * from the wire validates and throws a StorageError (INVALID_ARGUMENT) naming the field.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  BlobHeaderSchema,
  BlobHeader as ProtoBlobHeader,
} from "@tributary/proto/tributary/common/v1/blob";
import type {
  BatchHeaderSchema,
  BatchHeader as ProtoBatchHeader,
} from "@tributary/proto/tributary/common/v1/certificate";
import type {
  MerkleProofSchema,
  MerkleProof as ProtoMerkleProof,
} from "@tributary/proto/tributary/common/v1/proof";
import {
  type BatchHeader,
  type BlobHeader,
  type MerkleProof,
  type NetworkPreset,
  validateBatchHeader,
  validateBlobHeader,
} from "@tributary/protocol";
import { StorageErrorCode, storageError } from "./errors.ts";

function invalid(
  code: StorageErrorCode,
  message: string,
  meta: Record<string, unknown> = {},
  cause?: unknown,
) {
  return storageError(code, "invalid_argument", message, meta, cause);
}

function safeNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalid(StorageErrorCode.invalidHeader, `${field} is out of range`, { field });
  }
  return Number(v);
}

/** Converts and validates a wire header (field rules: protocol's validateBlobHeader). */
export function blobHeaderFromProto(h: ProtoBlobHeader | undefined): BlobHeader {
  if (h === undefined) throw invalid(StorageErrorCode.invalidHeader, "Blob header missing");
  const header: BlobHeader = {
    version: h.version,
    preset: h.preset as NetworkPreset["name"],
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: safeNumber(h.timestampMs, "timestampMs"),
    size: h.size,
    k: h.squareWidth,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: safeNumber(h.retentionSeconds, "retentionSeconds"),
    epoch: safeNumber(h.epoch, "epoch"),
  };
  try {
    validateBlobHeader(header);
  } catch (err) {
    throw invalid(
      StorageErrorCode.invalidHeader,
      `Invalid blob header: ${err instanceof Error ? err.message : String(err)}`,
      {},
      err,
    );
  }
  return header;
}

export function blobHeaderToProto(h: BlobHeader): MessageInitShape<typeof BlobHeaderSchema> {
  return {
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
  };
}

export function merkleProofFromProto(p: ProtoMerkleProof | undefined, field: string): MerkleProof {
  if (p === undefined) throw invalid(StorageErrorCode.invalidRequest, `${field} missing`, { field });
  return { index: p.leafIndex, siblings: p.siblings };
}

export function merkleProofToProto(p: {
  index: number;
  siblings: readonly Uint8Array[];
}): MessageInitShape<typeof MerkleProofSchema> {
  return { leafIndex: p.index, siblings: [...p.siblings] };
}

export function batchHeaderFromProto(h: ProtoBatchHeader | undefined): BatchHeader {
  if (h === undefined) throw invalid(StorageErrorCode.invalidBatch, "Batch header missing");
  const header: BatchHeader = {
    epoch: safeNumber(h.epoch, "batch epoch"),
    batchRoot: h.batchRoot,
    blobCount: h.blobCount,
    createdAtMs: safeNumber(h.createdAtMs, "createdAtMs"),
    attesterId: h.attesterId,
  };
  try {
    validateBatchHeader(header);
  } catch (err) {
    throw invalid(
      StorageErrorCode.invalidBatch,
      `Invalid batch header: ${err instanceof Error ? err.message : String(err)}`,
      {},
      err,
    );
  }
  return header;
}

export type BatchHeaderInit = MessageInitShape<typeof BatchHeaderSchema>;
