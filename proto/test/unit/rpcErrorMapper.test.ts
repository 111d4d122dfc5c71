import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { Code, RpcError, rpcErrorMapper } from "../../src/rpcError.ts";

class TooLarge extends Error {}

describe("rpcErrorMapper", () => {
  const metadata = new Metadata();
  metadata.set("tributary-error-code", "X_ERROR_TOO_LARGE");
  const toRpcError = rpcErrorMapper((err) =>
    err instanceof TooLarge ? { code: Code.INVALID_ARGUMENT, details: err.message, metadata } : undefined,
  );

  it("gives a classified error the table's status, details, trailer and cause", () => {
    const err = new TooLarge("blob too large");
    const rpc = toRpcError(err);
    expect(rpc?.code).toBe(Code.INVALID_ARGUMENT);
    expect(rpc?.message).toBe("blob too large");
    expect(rpc?.metadata.get("tributary-error-code")).toEqual(["X_ERROR_TOO_LARGE"]);
    expect(rpc?.cause).toBe(err);
  });

  it("passes RpcErrors through and leaves unclassified errors to the default (INTERNAL)", () => {
    const rpc = new RpcError(Code.NOT_FOUND, "no such blob");
    expect(toRpcError(rpc)).toBe(rpc);
    expect(toRpcError(new Error("boom"))).toBeUndefined();
  });
});
