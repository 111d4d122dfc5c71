/**
 * One error type for both sides of a call. Servers throw `RpcError` to choose the gRPC status a
 * client sees; clients receive every failed call as an `RpcError` carrying the status code.
 *
 * The rule that matters: nothing reaches a client as UNKNOWN. grpc-js reports UNKNOWN for any
 * handler error without a numeric `code`, which tells the caller nothing and can leak internal
 * messages, so `toStatusObject` turns every error without a usable status code into INTERNAL with
 * a fixed, safe message.
 */
import { Metadata, type ServiceError, type StatusObject, status } from "@grpc/grpc-js";

/** gRPC status codes (the grpc-js `status` enum, re-exported so callers need no grpc-js import). */
export const Code = status;
export type Code = status;

/** Details sent to a client for an error the server did not classify. */
export const INTERNAL_ERROR_DETAILS = "Internal server error";

export interface RpcErrorOptions {
  /** Trailing metadata sent with (server) or received with (client) the status. */
  readonly metadata?: Metadata;
  readonly cause?: unknown;
}

export class RpcError extends Error {
  /** gRPC status code; never OK. */
  readonly code: Code;
  /** Trailing metadata of the failed call; empty when there was none. */
  readonly metadata: Metadata;

  constructor(code: Code, message: string, options: RpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RpcError";
    this.code = code;
    this.metadata = options.metadata ?? new Metadata();
  }

  /** The status name, e.g. "NOT_FOUND", for logs and messages. */
  get codeName(): string {
    return status[this.code] ?? `CODE_${this.code}`;
  }
}

/** True for an integer status code that a server may deliberately send (1..16 except UNKNOWN). */
function isSendableCode(code: unknown): code is Code {
  return (
    typeof code === "number" &&
    Number.isInteger(code) &&
    code > status.OK &&
    code <= status.UNAUTHENTICATED &&
    code !== status.UNKNOWN
  );
}

/**
 * Maps anything a handler threw to the status sent to the client. An error carrying a numeric
 * gRPC `code` (an `RpcError`, or a grpc-js style `{code, details}` object) keeps its code and
 * message; everything else, including an explicit UNKNOWN, becomes INTERNAL with a safe message
 * so internal details never leak. A string `code` (our modules' "PROTOCOL_ERROR_..." codes) is not
 * a gRPC status: services map those through their own table (see `ImplementOptions.mapError`).
 */
export function toStatusObject(err: unknown): StatusObject {
  if (typeof err === "object" && err !== null && "code" in err && isSendableCode(err.code)) {
    const details =
      "details" in err && typeof err.details === "string"
        ? err.details
        : err instanceof Error
          ? err.message
          : "";
    const metadata = "metadata" in err && err.metadata instanceof Metadata ? err.metadata : new Metadata();
    return { code: err.code, details, metadata };
  }
  return { code: status.INTERNAL, details: INTERNAL_ERROR_DETAILS, metadata: new Metadata() };
}

/** Wraps a grpc-js client error (ServiceError) as an RpcError, keeping the original as cause. */
export function fromServiceError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const serviceError = err as Partial<ServiceError>;
  if (typeof serviceError.code === "number") {
    const options: RpcErrorOptions =
      serviceError.metadata instanceof Metadata
        ? { metadata: serviceError.metadata, cause: err }
        : { cause: err };
    return new RpcError(serviceError.code, serviceError.details ?? serviceError.message ?? "", options);
  }
  return new RpcError(status.INTERNAL, err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * A status chosen by a service's error table. Metadata is described by shape only: the table may
 * build it with another copy of grpc-js, whose Metadata fails grpc-js's instanceof checks here.
 */
export interface TableStatus {
  readonly code: Code;
  readonly details: string;
  readonly metadata: { getMap(): Record<string, string | Buffer> };
}

/**
 * Builds a service's `mapError` (ImplementOptions) from its error table: `toStatus` gives the
 * status of an error the table classifies and undefined for anything else, which then reaches the
 * client as INTERNAL. An RpcError passes through as thrown, so the mapper can also label metrics.
 */
export function rpcErrorMapper(
  toStatus: (err: unknown) => TableStatus | undefined,
): (err: unknown) => RpcError | undefined {
  return (err) => {
    if (err instanceof RpcError) return err;
    const result = toStatus(err);
    if (result === undefined) return undefined;
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(result.metadata.getMap())) metadata.set(key, value);
    return new RpcError(result.code, result.details, { metadata, cause: err });
  };
}
