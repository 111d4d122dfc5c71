import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DisperseBlobRequestSchema } from "../../src/gen/tributary/disperser/v1/disperser_pb.ts";
import { EncodeBlobRequestSchema } from "../../src/gen/tributary/encoder/v1/encoder_pb.ts";
import { StoreColumnsRequestSchema } from "../../src/gen/tributary/storage/v1/storage_pb.ts";
import { decodeMessage, encodeMessage, encodeWithBulkBytes } from "../../src/grpcAdapter.ts";

describe("encodeWithBulkBytes", () => {
  it("writes exactly what toBinary writes for the whole message", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 32 }),
        fc.string(),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 70_000 }),
        (blobKey, preset, nonce, data) => {
          const init = { blobKey, header: { preset, nonce, version: 1 } };
          const ours = encodeWithBulkBytes(EncodeBlobRequestSchema, init, "data", data);
          const reference = toBinary(
            EncodeBlobRequestSchema,
            create(EncodeBlobRequestSchema, { ...init, data }),
          );
          expect(Buffer.from(ours.bytes).equals(Buffer.from(reference))).toBe(true);
          const decoded = decodeMessage(
            EncodeBlobRequestSchema,
            encodeMessage(EncodeBlobRequestSchema, ours),
          );
          expect(decoded.data).toEqual(data);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("puts a lowest-numbered bulk field first, as toBinary does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 5000 }), (namespace, data) => {
        const init = { namespace, retentionSeconds: 60n, preset: "devnet" };
        const ours = encodeWithBulkBytes(DisperseBlobRequestSchema, init, "data", data);
        const reference = toBinary(
          DisperseBlobRequestSchema,
          create(DisperseBlobRequestSchema, { ...init, data }),
        );
        expect(Buffer.from(ours.bytes).equals(Buffer.from(reference))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a field that is neither the first nor the last field", () => {
    expect(() => encodeWithBulkBytes(DisperseBlobRequestSchema, {}, "namespace", new Uint8Array(1))).toThrow(
      /lowest- or highest-numbered/,
    );
    expect(() => encodeWithBulkBytes(EncodeBlobRequestSchema, {}, "header", new Uint8Array(1))).toThrow(
      /not a bytes field/,
    );
  });

  it("refuses an EncodedMessage of another schema at send time", () => {
    const ours = encodeWithBulkBytes(EncodeBlobRequestSchema, {}, "data", new Uint8Array(3));
    // @ts-expect-error: the types forbid it; the runtime check catches untyped callers.
    expect(() => encodeMessage(StoreColumnsRequestSchema, ours)).toThrow(TypeError);
  });
});
