/**
 * The attester's error codes and its one mapping to what a gRPC client sees (through runtime's
 * single table, `toGrpcStatus`). Anything unclassified is INTERNAL, never UNKNOWN.
 */
import { rpcErrorMapper } from "@tributary/proto";
import { type ErrorKind, ServiceError, serviceErrorStatus } from "@tributary/runtime";

export const AttesterErrorCode = {
  /** An encoded blob's header fails validation: the blob goes FAILED with this code. */
  invalidHeader: "ATTESTER_ERROR_INVALID_HEADER",
  /** A request is malformed (e.g. a blob key that is not 32 bytes). */
  invalidRequest: "ATTESTER_ERROR_INVALID_REQUEST",
  /** No certificate is known for the blob (unknown or not certified yet). */
  notFound: "ATTESTER_ERROR_NOT_FOUND",
  /** The batch's epoch is not in the membership (yet). */
  unknownEpoch: "ATTESTER_ERROR_UNKNOWN_EPOCH",
  /** The storage shards' signatures did not reach the threshold in time. */
  belowThreshold: "ATTESTER_ERROR_BELOW_THRESHOLD",
  /** NATS or Redis is unreachable. */
  unavailable: "ATTESTER_ERROR_UNAVAILABLE",
} as const;
export type AttesterErrorCode = (typeof AttesterErrorCode)[keyof typeof AttesterErrorCode];

export type AttesterErrorType = { code: AttesterErrorCode; kind: ErrorKind } & Record<string, unknown>;

export class AttesterError extends ServiceError<AttesterErrorType> {}

export function attesterError(
  code: AttesterErrorCode,
  kind: ErrorKind,
  message: string,
  meta: Record<string, unknown> = {},
): AttesterError {
  return new AttesterError({ ...meta, code, kind }, message);
}

/** ServiceError -> RpcError through runtime's one status table (code in the trailer); others: INTERNAL. */
export const toRpcError = rpcErrorMapper(serviceErrorStatus);
