/**
 * The disperser's error codes. Domain code throws `disperserError(...)`: a runtime
 * `ServiceError` whose `kind` picks the gRPC status through runtime's one table
 * (`toGrpcStatus`); the code travels in the `tributary-error-code` trailer. Chosen statuses:
 * - oversized blob: kind too_large -> INVALID_ARGUMENT, message names the limit (the request is
 *   wrong as sent; RESOURCE_EXHAUSTED is kept for rate limits, which are retryable);
 * - retention beyond the account's limit: INVALID_ARGUMENT (the request is wrong as sent);
 * - no `auth` where anonymous dispersal is off, or a signature that does not match:
 *   UNAUTHENTICATED;
 * - `auth.timestamp_ms` outside the replay window: INVALID_ARGUMENT (the client's clock or a
 *   stale request: resending it as is never helps);
 * - `auth.epoch` not the current one: FAILED_PRECONDITION (trailer `tributary-current-epoch`);
 * - nonce already used by other content: ALREADY_EXISTS;
 * - token bucket empty: RESOURCE_EXHAUSTED (trailer `retry-after-ms`);
 * - blob above the account's maximum: INVALID_ARGUMENT as any oversized blob (too_large).
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
  /** No `auth`, and this disperser does not accept anonymous submissions. */
  authRequired: "DISPERSER_ERROR_AUTH_REQUIRED",
  /** The signature is malformed or does not recover the account from the blob key. */
  signatureInvalid: "DISPERSER_ERROR_SIGNATURE_INVALID",
  /** `auth.timestamp_ms` is outside the replay window around the disperser's clock. */
  timestampOutOfWindow: "DISPERSER_ERROR_TIMESTAMP_OUT_OF_WINDOW",
  /** `auth.epoch` is not the current epoch (trailer `tributary-current-epoch` names it). */
  staleEpoch: "DISPERSER_ERROR_STALE_EPOCH",
  /** The account already used this nonce for other content. */
  nonceUsed: "DISPERSER_ERROR_NONCE_USED",
  /** The account's token bucket is empty (trailer `retry-after-ms`). */
  rateLimited: "DISPERSER_ERROR_RATE_LIMITED",
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
