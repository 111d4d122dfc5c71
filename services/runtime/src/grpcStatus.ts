import { type ServiceError as GrpcServiceError, Metadata, status } from "@grpc/grpc-js";
import { CodedError } from "./codedError.ts";

/**
 * Errors that reach a gRPC client, and the ONE table mapping them to gRPC status codes.
 *
 * A service throws `new ServiceError({code: "DISPERSER_ERROR_BLOB_TOO_LARGE", kind: "too_large",
 * size, max}, "Blob exceeds the maximum size")`. The code is service-specific and machine-readable;
 * the kind says what sort of failure it is, and only the kind decides the gRPC status (below).
 * The code travels to the client in the `tributary-error-code` trailer; string values in the
 * error's `trailers` metadata (e.g. `{trailers: {"retry-after-ms": "250"}}`) travel as trailers too.
 * Anything that is not a ServiceError is a bug or an unexpected failure: INTERNAL, with a generic
 * message (its details belong in our logs, not in a client's hands). Nothing maps to UNKNOWN.
 */

export const ERROR_KIND_TO_GRPC_STATUS = {
  /** The request is malformed or fails validation (the client is wrong; do not retry as is). */
  invalid_argument: status.INVALID_ARGUMENT,
  /** The request is well formed but exceeds a size limit (blob too large). */
  too_large: status.INVALID_ARGUMENT,
  /** The thing asked for does not exist (or no longer: expired). */
  not_found: status.NOT_FOUND,
  /** It exists already (duplicate blob). */
  already_exists: status.ALREADY_EXISTS,
  /** Missing or invalid credentials / signature. */
  unauthenticated: status.UNAUTHENTICATED,
  /** Authenticated but not allowed. */
  permission_denied: status.PERMISSION_DENIED,
  /** Rate limit or quota hit: retry later. */
  rate_limited: status.RESOURCE_EXHAUSTED,
  /** The system is not in a state that allows this (wrong epoch, not leader, not yet certified). */
  failed_precondition: status.FAILED_PRECONDITION,
  /** Lost a race (sequence check, lease): retry the whole operation. */
  conflict: status.ABORTED,
  /** A value outside the valid range (cell index, height past the tip). */
  out_of_range: status.OUT_OF_RANGE,
  /** A dependency is down or we are shutting down: retry with backoff. */
  unavailable: status.UNAVAILABLE,
  /** Work did not finish in time. */
  timeout: status.DEADLINE_EXCEEDED,
  /** The caller (or shutdown) cancelled the work. */
  cancelled: status.CANCELLED,
  /** Method or feature not implemented by this server. */
  unimplemented: status.UNIMPLEMENTED,
  /** Stored data is lost or corrupt and cannot be served. */
  data_loss: status.DATA_LOSS,
  /** Our bug or an invariant broken. */
  internal: status.INTERNAL,
} as const satisfies Record<string, status>;

export type ErrorKind = keyof typeof ERROR_KIND_TO_GRPC_STATUS;

/** Trailer carrying the machine-readable error code to clients. */
export const ERROR_CODE_METADATA_KEY = "tributary-error-code";

export type ServiceErrorType = { code: string; kind: ErrorKind } & Record<string, unknown>;

export class ServiceError<M extends ServiceErrorType = ServiceErrorType> extends CodedError<M> {
  get kind(): ErrorKind {
    return this.type.kind;
  }

  get grpcStatus(): status {
    return ERROR_KIND_TO_GRPC_STATUS[this.type.kind];
  }
}

/** What a grpc-js handler passes to its callback or `call.emit("error", ...)`. */
export type GrpcStatusObject = { code: status; details: string; metadata: Metadata };

const INTERNAL_DETAILS = "Internal error";

/** Maps any thrown value to a gRPC status. Never returns UNKNOWN (or OK). */
export function toGrpcStatus(err: unknown): GrpcStatusObject {
  const metadata = new Metadata();
  if (err instanceof ServiceError) {
    metadata.set(ERROR_CODE_METADATA_KEY, err.code);
    // Machine-readable hints for the client beside the code, e.g. `retry-after-ms`.
    const trailers = err.type.trailers;
    if (typeof trailers === "object" && trailers !== null) {
      for (const [key, value] of Object.entries(trailers)) {
        if (typeof value === "string") metadata.set(key, value);
      }
    }
    const code = ERROR_KIND_TO_GRPC_STATUS[err.kind as ErrorKind] ?? status.INTERNAL;
    return { code, details: err.message, metadata };
  }
  return { code: status.INTERNAL, details: INTERNAL_DETAILS, metadata };
}

/** The table's status of a ServiceError; undefined for anything else (the caller's default applies). */
export function serviceErrorStatus(err: unknown): GrpcStatusObject | undefined {
  return err instanceof ServiceError ? toGrpcStatus(err) : undefined;
}

/** Client side: the `tributary-error-code` of a failed call, if the server sent one. */
export function getErrorCode(err: unknown): string | undefined {
  const metadata = (err as Partial<GrpcServiceError> | null)?.metadata;
  if (!(metadata instanceof Metadata)) return undefined;
  const value = metadata.get(ERROR_CODE_METADATA_KEY)[0];
  return typeof value === "string" ? value : undefined;
}
