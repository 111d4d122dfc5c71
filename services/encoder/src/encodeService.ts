/**
 * The Encoder gRPC service: translates EncodeBlob between protobuf and the domain and delegates
 * to `Dispersal`. Errors go through the service's one table (`toRpcError`).
 */
import {
  blobHeaderFromProto,
  blobHeaderToProto,
  Code,
  FieldRangeError,
  type HandlerContext,
  implement,
  type ServiceImplementation,
  storageReceiptToProto,
} from "@tributary/proto";
import { type EncodeBlobRequest, Encoder } from "@tributary/proto/tributary/encoder/v1/encoder";
import type { Logger } from "@tributary/runtime";
import type { Dispersal, EncodeRequest, HeaderRequest } from "./dispersal.ts";
import { EncoderErrorCode, encoderError, toRpcError } from "./errors.ts";
import type { EncoderMetrics } from "./metrics.ts";

export type EncodeServiceModules = { logger: Logger; metrics: EncoderMetrics; dispersal: Dispersal };

export function createEncodeService(modules: EncodeServiceModules): ServiceImplementation {
  const logger = modules.logger.child("encode-service");
  const { metrics, dispersal } = modules;
  return implement(
    Encoder,
    {
      encodeBlob: async (request, ctx: HandlerContext) => {
        try {
          const result = await dispersal.encodeAndStore(encodeRequestFromProto(request), {
            signal: ctx.signal,
            deadline: ctx.deadline,
          });
          metrics.requests.inc({ code: "OK" });
          return {
            blobKey: result.blobKey,
            header: blobHeaderToProto(result.header),
            storedColumnCount: result.storedColumnCount,
            receipts: result.receipts.map(storageReceiptToProto),
          };
        } catch (err) {
          const rpc = toRpcError(err);
          metrics.requests.inc({ code: rpc === undefined ? "INTERNAL" : (Code[rpc.code] ?? "INTERNAL") });
          throw err;
        }
      },
    },
    {
      mapError: toRpcError,
      onInternalError: (err, path) => logger.error("Internal error", { path, err }),
    },
  );
}

export function encodeRequestFromProto(request: EncodeBlobRequest): EncodeRequest {
  const h = request.header;
  if (h === undefined) {
    throw encoderError(EncoderErrorCode.invalidRequest, "invalid_argument", "header is required");
  }
  if (request.blobKey.length !== 0 && request.blobKey.length !== 32) {
    throw encoderError(
      EncoderErrorCode.invalidRequest,
      "invalid_argument",
      "blob_key must be empty or 32 bytes",
    );
  }
  let header: HeaderRequest;
  try {
    header = blobHeaderFromProto(h);
  } catch (err) {
    // A uint64 beyond 2^53 is a malformed request like any other bad header field.
    if (err instanceof FieldRangeError) {
      throw encoderError(EncoderErrorCode.invalidRequest, "invalid_argument", err.message, {
        field: err.field,
      });
    }
    throw err;
  }
  return {
    header,
    data: request.data,
    expectedBlobKey: request.blobKey,
    accountSignature: request.accountSignature,
  };
}
