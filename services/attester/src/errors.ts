/**
 * The attester's error codes and its one mapping to what a gRPC client sees (through runtime's
 * single table, `toGrpcStatus`). Anything unclassified is INTERNAL, never UNKNOWN.
 */
import { Metadata, RpcError } from "@tributary/proto";
import { type ErrorKind, ServiceError, toGrpcStatus } from "@tributary/runtime";

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

/** `mapError` for the proto adapter: ServiceError -> RpcError with the runtime table's status. */
export function toRpcError(err: unknown): RpcError | undefined {
  if (!(err instanceof ServiceError)) return undefined;
  const status = toGrpcStatus(err);
  const metadata = new Metadata();
  for (const [key, values] of Object.entries(status.metadata.getMap())) metadata.set(key, values);
  return new RpcError(status.code, status.details, { metadata, cause: err });
}
