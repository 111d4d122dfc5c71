/**
 * The encoder's error codes. Domain code throws `encoderError(...)`: a runtime `ServiceError`
 * whose `kind` picks the gRPC status through runtime's one table (`toGrpcStatus`); the code
 * travels to the caller in the `tributary-error-code` trailer. `toRpcError` is the service's
 * `mapError` for the proto adapter; anything unclassified reaches the client as INTERNAL.
 */
import { rpcErrorMapper } from "@tributary/proto";
import { type ErrorKind, ServiceError, serviceErrorStatus } from "@tributary/runtime";

export const EncoderErrorCode = {
  /** The request is malformed: missing header, bad namespace, account, preset or size. */
  invalidRequest: "ENCODER_ERROR_INVALID_REQUEST",
  /** The blob is larger than this encoder accepts. */
  blobTooLarge: "ENCODER_ERROR_BLOB_TOO_LARGE",
  /** Derived header fields or the expected blob key given by the caller do not match the data. */
  headerMismatch: "ENCODER_ERROR_HEADER_MISMATCH",
  /** The request names an epoch other than the encoder's current one (retry: membership moved). */
  epochMismatch: "ENCODER_ERROR_EPOCH_MISMATCH",
  /** The account signature is missing or does not recover the header's account (nothing stored). */
  unauthenticated: "ENCODER_ERROR_UNAUTHENTICATED",
  /** Too few columns became durable on the storage shards (names the shards that failed). */
  insufficientStorage: "ENCODER_ERROR_INSUFFICIENT_STORAGE",
  /** The caller cancelled, its deadline passed, or the encoder is shutting down. */
  cancelled: "ENCODER_ERROR_CANCELLED",
} as const;
export type EncoderErrorCode = (typeof EncoderErrorCode)[keyof typeof EncoderErrorCode];

export type EncoderErrorType = { code: EncoderErrorCode; kind: ErrorKind } & Record<string, unknown>;

export class EncoderError extends ServiceError<EncoderErrorType> {}

export function encoderError(
  code: EncoderErrorCode,
  kind: ErrorKind,
  message: string,
  meta: Record<string, unknown> = {},
  cause?: unknown,
): EncoderError {
  return new EncoderError({ ...meta, code, kind }, message, cause === undefined ? undefined : { cause });
}

/** ServiceError -> RpcError through runtime's one status table (code in the trailer); others: INTERNAL. */
export const toRpcError = rpcErrorMapper(serviceErrorStatus);
