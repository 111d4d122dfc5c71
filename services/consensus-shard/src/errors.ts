/**
 * The consensus shard's error codes and its one mapping to what a gRPC client sees (runtime's
 * single table, `toGrpcStatus`). Anything unclassified is INTERNAL, never UNKNOWN.
 */
import { rpcErrorMapper } from "@tributary/proto";
import { type ErrorKind, ServiceError, serviceErrorStatus } from "@tributary/runtime";

export const ConsensusErrorCode = {
  invalidRequest: "CONSENSUS_ERROR_INVALID_REQUEST",
  /** SubmitCertificate: the certificate does not verify against its epoch. */
  invalidCertificate: "CONSENSUS_ERROR_INVALID_CERTIFICATE",
  /** A blob of the submitted certificate is unknown (no header in Redis). */
  unknownBlob: "CONSENSUS_ERROR_UNKNOWN_BLOB",
  /** GetBlock above the head. */
  blockNotFound: "CONSENSUS_ERROR_BLOCK_NOT_FOUND",
  unavailable: "CONSENSUS_ERROR_UNAVAILABLE",
} as const;
export type ConsensusErrorCode = (typeof ConsensusErrorCode)[keyof typeof ConsensusErrorCode];

export class ConsensusError extends ServiceError<
  { code: ConsensusErrorCode; kind: ErrorKind } & Record<string, unknown>
> {}

export function consensusError(
  code: ConsensusErrorCode,
  kind: ErrorKind,
  message: string,
  meta: Record<string, unknown> = {},
): ConsensusError {
  return new ConsensusError({ ...meta, code, kind }, message);
}

/** ServiceError -> RpcError through runtime's one status table (code in the trailer); others: INTERNAL. */
export const toRpcError = rpcErrorMapper(serviceErrorStatus);
