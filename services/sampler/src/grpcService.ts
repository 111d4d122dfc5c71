/**
 * The Sampler gRPC service: SampleBlob samples one blob on demand and returns the signed report
 * (not published). INVALID_ARGUMENT for a malformed key or confidence, NOT_FOUND for a blob whose
 * header is unknown.
 */
import { addService, rpcErrorMapper, type Server } from "@tributary/proto";
import { Sampler } from "@tributary/proto/tributary/sampler/v1/sampler";
import { type ErrorKind, type Logger, ServiceError, serviceErrorStatus } from "@tributary/runtime";
import type { BlobSampler } from "./blobSampler.ts";

export const SamplerServiceErrorCode = {
  invalidRequest: "SAMPLER_ERROR_INVALID_REQUEST",
  notFound: "SAMPLER_ERROR_NOT_FOUND",
} as const;

function samplerError(code: string, kind: ErrorKind, message: string): ServiceError {
  return new ServiceError({ code, kind }, message);
}

/** ServiceError -> RpcError through runtime's one status table (code in the trailer); others: INTERNAL. */
export const toRpcError = rpcErrorMapper(serviceErrorStatus);

export function addSamplerService(server: Server, modules: { logger: Logger; sampler: BlobSampler }): void {
  const logger = modules.logger.child("grpc-sampler");
  addService(
    server,
    Sampler,
    {
      async sampleBlob(request, ctx) {
        if (request.blobKey.length !== 32) {
          throw samplerError(
            SamplerServiceErrorCode.invalidRequest,
            "invalid_argument",
            "blob_key must be 32 bytes",
          );
        }
        const c = request.confidence;
        if (c !== 0 && !(c > 0 && c < 1)) {
          throw samplerError(
            SamplerServiceErrorCode.invalidRequest,
            "invalid_argument",
            "confidence must be in (0, 1)",
          );
        }
        const report = await modules.sampler.sampleKey(request.blobKey, c === 0 ? undefined : c, ctx.signal);
        if (report === undefined)
          throw samplerError(SamplerServiceErrorCode.notFound, "not_found", "Unknown blob");
        return { report };
      },
    },
    {
      mapError: toRpcError,
      onInternalError: (err, path) => logger.error("Internal error in gRPC handler", { path, err }),
    },
  );
}
