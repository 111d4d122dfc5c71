import { randomFillSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsKernel } from "../../src/gfKernel.ts";
import { currentKernel } from "../../src/index.ts";
import { KERNELS, withKernel } from "../utils/kernels.ts";

// The native batch hashers (multi-buffer SHA-NI, or OpenSSL) must equal node:crypto exactly,
// for every cell size and for counts that leave a partial group of lanes.
describe("batched Merkle hashing", () => {
  for (const kernel of KERNELS.filter((k) => k !== "js")) {
    it(`leaf and node hashes equal node:crypto (${kernel})`, () => {
      withKernel(kernel, () => {
        fc.assert(
          fc.property(
            fc.constantFrom(64, 128, 256, 512, 1024, 2048, 1, 55, 56, 63, 119, 1000),
            fc.integer({ min: 1, max: 37 }),
            fc.integer({ min: 0, max: 7 }),
            (len, count, skew) => {
              const buf = new Uint8Array(skew + len * count + 13);
              randomFillSync(buf);
              const offsets = Int32Array.from({ length: count }, (_, i) => skew + i * len);
              const got = new Uint8Array(32 * count);
              const want = new Uint8Array(32 * count);
              currentKernel().hashLeaves(buf, offsets, len, got);
              jsKernel.hashLeaves(buf, offsets, len, want);
              expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
              const nodes = buf.subarray(0, 64 * Math.floor(buf.length / 64));
              const gotN = new Uint8Array(nodes.length / 2);
              const wantN = new Uint8Array(nodes.length / 2);
              currentKernel().hashNodes(nodes, gotN);
              jsKernel.hashNodes(nodes, wantN);
              expect(Buffer.from(gotN).equals(Buffer.from(wantN))).toBe(true);
            },
          ),
          { numRuns: 200 },
        );
      });
    });
  }
});
