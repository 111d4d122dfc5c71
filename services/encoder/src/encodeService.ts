/**
 * The Encoder gRPC service: translates EncodeBlob between protobuf and the domain and delegates
 * to `Dispersal`. Errors go through the service's one table (`toRpcError`).
 */
import { Code, type HandlerContext, implement, type ServiceImplementation } from "@tributary/proto";
import { type EncodeBlobRequest, Encoder } from "@tributary/proto/tributary/encoder/v1/encoder";
import type { Logger } from "@tributary/runtime";
import type { Dispersal, EncodeRequest } from "./dispersal.ts";
import { EncoderErrorCode, encoderError, toRpcError } from "./errors.ts";
import { headerToProto, receiptToProto, toSafeNumber } from "./headerProto.ts";
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
            header: headerToProto(result.header),
            storedColumnCount: result.storedColumnCount,
            receipts: result.receipts.map(receiptToProto),
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
  return {
    header: {
      version: h.version,
      preset: h.preset,
      namespace: h.namespace,
      account: h.account,
      nonce: h.nonce,
      timestampMs: toSafeNumber(h.timestampMs),
      retentionSeconds: toSafeNumber(h.retentionSeconds),
      epoch: toSafeNumber(h.epoch),
      size: h.size,
      k: h.squareWidth,
      cellSize: h.cellSize,
      dataRoot: h.dataRoot,
    },
    data: request.data,
    expectedBlobKey: request.blobKey,
  };
}
