/**
 * The storage shard's error codes and its one mapping to what a gRPC client sees.
 *
 * Domain code throws `storageError(...)`: a runtime `ServiceError` whose `kind` decides the gRPC
 * status through runtime's single table (`toGrpcStatus`) and whose code travels in the
 * `tributary-error-code` trailer. The proto adapter only sends errors that carry a numeric gRPC
 * code, so `toRpcError` converts at the service edge. Anything unclassified is INTERNAL, never
 * UNKNOWN.
 *
 * Validation failures say who is at fault (Lodestar's reject/ignore split): `invalid_argument`
 * means the peer sent something wrong (do not retry as is); `failed_precondition` and
 * `unavailable` mean the timing or state was wrong (retry later, e.g. once the shard has seen
 * the epoch).
 */
import { rpcErrorMapper } from "@tributary/proto";
import { type ErrorKind, ServiceError, serviceErrorStatus } from "@tributary/runtime";

export const StorageErrorCode = {
  /** Malformed request or stream (missing Open, chunk out of order, bad lengths). */
  invalidRequest: "STORAGE_ERROR_INVALID_REQUEST",
  /** The blob header is invalid or does not hash to the given blob key. */
  invalidHeader: "STORAGE_ERROR_INVALID_HEADER",
  /** A column's cells do not hash to its announced root, or the root is not in the data root. */
  proofInvalid: "STORAGE_ERROR_PROOF_INVALID",
  /** The column is not assigned to this shard in the blob's epoch. */
  notAssigned: "STORAGE_ERROR_NOT_ASSIGNED",
  /** The shard does not know the epoch named by the header or batch (yet). */
  unknownEpoch: "STORAGE_ERROR_UNKNOWN_EPOCH",
  /** This shard is not a member of the batch's epoch, or its key differs from the registered one. */
  notMember: "STORAGE_ERROR_NOT_MEMBER",
  /** The blob is not held here (never stored, or deleted after retention). */
  blobNotFound: "STORAGE_ERROR_BLOB_NOT_FOUND",
  /** The blob is known but this column is not held. */
  columnNotFound: "STORAGE_ERROR_COLUMN_NOT_FOUND",
  /** Stored bytes failed their checksum: never served, reported as missing. */
  corrupt: "STORAGE_ERROR_CORRUPT",
  /** Row or column index outside the blob's 2k x 2k square. */
  outOfRange: "STORAGE_ERROR_OUT_OF_RANGE",
  /** SignBatch: a blob of the batch is not (fully) held by this shard. */
  missingColumns: "STORAGE_ERROR_MISSING_COLUMNS",
  /** SignBatch: batch root or blob count does not match the listed blobs. */
  invalidBatch: "STORAGE_ERROR_INVALID_BATCH",
  /** The blob's retention has already ended. */
  expired: "STORAGE_ERROR_EXPIRED",
  /** Storing would exceed maxStoreBytes. */
  storeFull: "STORAGE_ERROR_STORE_FULL",
  /** The store is closed (shutting down). */
  closed: "STORAGE_ERROR_CLOSED",
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

export type StorageErrorType = { code: StorageErrorCode; kind: ErrorKind } & Record<string, unknown>;

export class StorageError extends ServiceError<StorageErrorType> {}

export function storageError(
  code: StorageErrorCode,
  kind: ErrorKind,
  message: string,
  meta: Record<string, unknown> = {},
  cause?: unknown,
): StorageError {
  return new StorageError({ ...meta, code, kind }, message, cause === undefined ? undefined : { cause });
}

/** ServiceError -> RpcError through runtime's one status table (code in the trailer); others: INTERNAL. */
export const toRpcError = rpcErrorMapper(serviceErrorStatus);

/** The `STORAGE_ERROR_*` code of a storage error, or undefined for anything else. */
export function getErrorCodeOf(err: unknown): string | undefined {
  return err instanceof ServiceError ? err.code : undefined;
}
