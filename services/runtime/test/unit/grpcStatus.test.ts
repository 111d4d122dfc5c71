import { Metadata, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ERROR_CODE_METADATA_KEY,
  ERROR_KIND_TO_GRPC_STATUS,
  type ErrorKind,
  getErrorCode,
  ServiceError,
  serviceErrorStatus,
  toGrpcStatus,
} from "../../src/grpcStatus.ts";

const kinds = Object.keys(ERROR_KIND_TO_GRPC_STATUS) as ErrorKind[];

describe("toGrpcStatus", () => {
  it("maps a ServiceError by its kind and carries its code", () => {
    const err = new ServiceError(
      { code: "DISPERSER_ERROR_BLOB_TOO_LARGE", kind: "too_large", size: 40, max: 32 },
      "Blob exceeds the maximum size",
    );
    const s = toGrpcStatus(err);
    expect(s.code).toBe(status.INVALID_ARGUMENT);
    expect(s.details).toBe("Blob exceeds the maximum size");
    expect(s.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(["DISPERSER_ERROR_BLOB_TOO_LARGE"]);
    expect(err.getMetadata()).toEqual({ kind: "too_large", size: 40, max: 32 });
    expect(getErrorCode({ metadata: s.metadata })).toBe("DISPERSER_ERROR_BLOB_TOO_LARGE");
  });

  it("sends the string values of a ServiceError's `trailers` as trailers", () => {
    const err = new ServiceError(
      { code: "DISPERSER_ERROR_RATE_LIMITED", kind: "rate_limited", trailers: { "retry-after-ms": "250" } },
      "slow down",
    );
    const s = toGrpcStatus(err);
    expect(s.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(s.metadata.get("retry-after-ms")).toEqual(["250"]);
    expect(s.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(["DISPERSER_ERROR_RATE_LIMITED"]);
  });

  it("maps unknown errors to INTERNAL without leaking their message", () => {
    const s = toGrpcStatus(new Error("ECONNREFUSED 10.0.0.3:6379"));
    expect(s.code).toBe(status.INTERNAL);
    expect(s.details).toBe("Internal error");
    expect(getErrorCode({ metadata: new Metadata() })).toBeUndefined();
  });

  it("serviceErrorStatus classifies ServiceErrors only, leaving the rest to the caller", () => {
    const err = new ServiceError({ code: "X_ERROR_GONE", kind: "not_found" }, "gone");
    expect(serviceErrorStatus(err)?.code).toBe(status.NOT_FOUND);
    expect(serviceErrorStatus(new Error("boom"))).toBeUndefined();
  });

  it("never yields UNKNOWN or OK, whatever is thrown", () => {
    expect(Object.values(ERROR_KIND_TO_GRPC_STATUS)).not.toContain(status.UNKNOWN);
    expect(Object.values(ERROR_KIND_TO_GRPC_STATUS)).not.toContain(status.OK);
    const thrown = fc.oneof(
      fc.anything(),
      fc.constantFrom(...kinds).map((kind) => new ServiceError({ code: "X_ERROR_Y", kind })),
      // A kind outside the table (e.g. from an untyped caller) still must not escape as UNKNOWN.
      fc.string().map((kind) => new ServiceError({ code: "X_ERROR_Y", kind: kind as ErrorKind })),
      fc.string().map((m) => Object.assign(new Error(m), { code: status.UNKNOWN })),
    );
    fc.assert(
      fc.property(thrown, (err) => {
        const { code } = toGrpcStatus(err);
        return code !== status.UNKNOWN && code !== status.OK;
      }),
    );
  });
});
