/**
 * The storage shard's checks on wire messages, on top of @tributary/proto's shared conversions:
 * a missing message, a uint64 beyond 2^53 - 1 or a header the protocol rejects becomes a
 * StorageError (INVALID_ARGUMENT) naming the field, so a client learns which part to fix.
 */
import {
  batchHeaderFromProto,
  blobHeaderFromProto,
  FieldRangeError,
  merkleProofFromProto,
} from "@tributary/proto";
import type { BlobHeader as ProtoBlobHeader } from "@tributary/proto/tributary/common/v1/blob";
import type { BatchHeader as ProtoBatchHeader } from "@tributary/proto/tributary/common/v1/certificate";
import type { MerkleProof as ProtoMerkleProof } from "@tributary/proto/tributary/common/v1/proof";
import {
  type BatchHeader,
  type BlobHeader,
  type MerkleProof,
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

/** Runs a shared conversion; an out-of-range uint64 is an invalid header whatever message holds it. */
function convert<T>(fromProto: () => T, fieldName: (field: string) => string = (f) => f): T {
  try {
    return fromProto();
  } catch (err) {
    if (!(err instanceof FieldRangeError)) throw err;
    const field = fieldName(err.field);
    throw invalid(StorageErrorCode.invalidHeader, `${field} is out of range`, { field });
  }
}

/** Converts and validates a wire header (field rules: protocol's validateBlobHeader). */
export function validBlobHeaderFromProto(h: ProtoBlobHeader | undefined): BlobHeader {
  if (h === undefined) throw invalid(StorageErrorCode.invalidHeader, "Blob header missing");
  const header = convert(() => blobHeaderFromProto(h));
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

export function requiredMerkleProofFromProto(p: ProtoMerkleProof | undefined, field: string): MerkleProof {
  if (p === undefined) throw invalid(StorageErrorCode.invalidRequest, `${field} missing`, { field });
  return merkleProofFromProto(p);
}

/** Converts and validates a wire batch header (field rules: protocol's validateBatchHeader). */
export function validBatchHeaderFromProto(h: ProtoBatchHeader | undefined): BatchHeader {
  if (h === undefined) throw invalid(StorageErrorCode.invalidBatch, "Batch header missing");
  const header = convert(
    () => batchHeaderFromProto(h),
    (f) => (f === "epoch" ? "batch epoch" : f),
  );
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
