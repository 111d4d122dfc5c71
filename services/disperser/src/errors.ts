/**
 * The disperser's error codes. Domain code throws `disperserError(...)`: a runtime
 * `ServiceError` whose `kind` picks the gRPC status through runtime's one table
 * (`toGrpcStatus`); the code travels in the `tributary-error-code` trailer. Chosen statuses:
 * - oversized blob: kind too_large -> INVALID_ARGUMENT, message names the limit (the request is
 *   wrong as sent; RESOURCE_EXHAUSTED is kept for rate limits, which are retryable);
 * - retention outside the limits: INVALID_ARGUMENT (no authenticated accounts yet, so the limit
 *   is the network's; PERMISSION_DENIED fits per-account tiers once auth lands, issue #6);
 * - `auth` present: FAILED_PRECONDITION, authentication is not enabled on this disperser.
 */
import { rpcErrorMapper } from "@tributary/proto";
import { type ErrorKind, ServiceError, serviceErrorStatus } from "@tributary/runtime";

export const DisperserErrorCode = {
  /** Malformed or invalid request field (namespace, preset, key length, ...). */
  invalidRequest: "DISPERSER_ERROR_INVALID_REQUEST",
  /** Blob data empty. */
  blobEmpty: "DISPERSER_ERROR_BLOB_EMPTY",
  /** Blob data larger than maxBlobBytes. */
  blobTooLarge: "DISPERSER_ERROR_BLOB_TOO_LARGE",
  /** Namespace not 16 bytes, or reserved (first byte 0x00 or 0xff). */
  invalidNamespace: "DISPERSER_ERROR_INVALID_NAMESPACE",
  /** Retention outside [minSeconds, maxSeconds], or permanent where not allowed. */
  invalidRetention: "DISPERSER_ERROR_INVALID_RETENTION",
  /** `auth` was sent but this disperser runs unauthenticated (issue #6). */
  authNotEnabled: "DISPERSER_ERROR_AUTH_NOT_ENABLED",
  /** The same request is being dispersed by another call right now. */
  requestInProgress: "DISPERSER_ERROR_REQUEST_IN_PROGRESS",
  /** No encoder could encode and store the blob. */
  encodeUnavailable: "DISPERSER_ERROR_ENCODE_UNAVAILABLE",
  /** The encoder refused the blob for a reason the client cannot fix by retrying here. */
  encodeRejected: "DISPERSER_ERROR_ENCODE_REJECTED",
  /** The encoded event could not be published (blob is durable; retry the same request). */
  publishFailed: "DISPERSER_ERROR_PUBLISH_FAILED",
  /** Unknown blob key. */
  blobNotFound: "DISPERSER_ERROR_BLOB_NOT_FOUND",
  /** The blob is FAILED or EXPIRED: its data is not served. */
  blobTerminal: "DISPERSER_ERROR_BLOB_TERMINAL",
  /** Fewer than k good columns could be fetched. */
  notEnoughColumns: "DISPERSER_ERROR_NOT_ENOUGH_COLUMNS",
  /** k verified columns did not rebuild to the data root (bad encoding). */
  rebuildFailed: "DISPERSER_ERROR_REBUILD_FAILED",
  /** The call was cancelled or shutdown began. */
  cancelled: "DISPERSER_ERROR_CANCELLED",
} as const;
export type DisperserErrorCode = (typeof DisperserErrorCode)[keyof typeof DisperserErrorCode];

export type DisperserErrorType = { code: DisperserErrorCode; kind: ErrorKind } & Record<string, unknown>;

export class DisperserError extends ServiceError<DisperserErrorType> {}

export function disperserError(
  code: DisperserErrorCode,
  kind: ErrorKind,
  message: string,
  meta: Record<string, unknown> = {},
  cause?: unknown,
): DisperserError {
  return new DisperserError({ ...meta, code, kind }, message, cause === undefined ? undefined : { cause });
}

/** ServiceError -> RpcError through runtime's one status table (code in the trailer); others: INTERNAL. */
export const toRpcError = rpcErrorMapper(serviceErrorStatus);
