import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { blobKey, decodeBlobHeader, encodeBlob, getPreset, sha256 } from "../../src/index.ts";
import { fromHex, seededBytes, toHex } from "../utils/bytes.ts";
import { KERNELS, withKernel } from "../utils/kernels.ts";

interface BlobVector {
  seed: string;
  size: number;
  preset: string;
  k: number;
  cellSize: number;
  dataRoot: string;
  rowRoots?: string[];
  colRoots?: string[];
  rowRootsSha256?: string;
  colRootsSha256?: string;
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../../test/vectors/codec.json", import.meta.url), "utf8"),
) as {
  blobs: BlobVector[];
  headers: { canonicalBytes: string; blobKey: string; header: { size: number; nonce: string } }[];
};

describe("codec known-answer vectors (test/vectors/codec.json)", () => {
  for (const kernel of KERNELS) {
    it(`blob -> geometry, row/column roots and dataRoot (${kernel})`, () => {
      withKernel(kernel, () => {
        for (const v of vectors.blobs) {
          if (kernel === "js" && v.size > 1_100_000) continue;
          const { square, commitment } = encodeBlob(seededBytes(v.seed, v.size), getPreset(v.preset));
          expect(square.params, v.seed).toEqual({ k: v.k, cellSize: v.cellSize });
          expect(toHex(commitment.dataRoot), v.seed).toBe(v.dataRoot);
          if (v.rowRoots !== undefined) {
            expect(commitment.rowRoots.map(toHex)).toEqual(v.rowRoots);
            expect(commitment.colRoots.map(toHex)).toEqual(v.colRoots);
          } else {
            expect(toHex(sha256(Buffer.concat(commitment.rowRoots)))).toBe(v.rowRootsSha256);
            expect(toHex(sha256(Buffer.concat(commitment.colRoots)))).toBe(v.colRootsSha256);
          }
        }
      });
    });
  }

  it("header -> canonical bytes -> blobKey", () => {
    for (const v of vectors.headers) {
      const header = decodeBlobHeader(fromHex(v.canonicalBytes));
      expect(header.size).toBe(v.header.size);
      expect(header.nonce).toBe(BigInt(v.header.nonce));
      expect(toHex(blobKey(header))).toBe(v.blobKey);
    }
  });
});
