import { create, toBinary } from "@bufbuild/protobuf";
import { StoreColumnsRequestSchema } from "@tributary/proto/tributary/storage/v1/storage";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeChunkMessage } from "../../src/chunkWire.ts";

describe("encodeChunkMessage", () => {
  it("writes exactly the bytes protobuf-es writes for the same chunk", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff })),
        fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        (column, offset, data) => {
          const ours = encodeChunkMessage(column, offset, data.length, (into) => into.set(data));
          const reference = toBinary(
            StoreColumnsRequestSchema,
            create(StoreColumnsRequestSchema, { part: { case: "chunk", value: { column, offset, data } } }),
          );
          expect(Buffer.from(ours.bytes).equals(Buffer.from(reference))).toBe(true);
          expect(ours.schema).toBe(StoreColumnsRequestSchema);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses an empty chunk (storage.proto: never empty)", () => {
    expect(() => encodeChunkMessage(1, 0, 0, () => undefined)).toThrow(RangeError);
  });

  it("handles length prefixes of every size class a column can have (up to 1 MiB)", () => {
    for (const length of [127, 128, 16_383, 16_384, 1024 * 1024]) {
      const data = new Uint8Array(length).fill(7);
      const ours = encodeChunkMessage(3, 4096, length, (into) => into.set(data));
      const reference = toBinary(
        StoreColumnsRequestSchema,
        create(StoreColumnsRequestSchema, {
          part: { case: "chunk", value: { column: 3, offset: 4096, data } },
        }),
      );
      expect(Buffer.compare(Buffer.from(ours.bytes), Buffer.from(reference))).toBe(0);
    }
  });
});
