import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashLeaf, hashNode, merkleProof, merkleRoot, sha256, verifyMerkleProof } from "../../src/index.ts";
import { KERNELS, withKernel } from "../utils/kernels.ts";

const leaves = (n: number) =>
  Array.from({ length: n }, (_, i) => hashLeaf(new Uint8Array([i & 255, i >> 8])));

describe("Merkle trees (RFC 6962 shape)", () => {
  it("separates leaves from nodes", () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32).fill(1);
    expect(Buffer.from(hashLeaf(new Uint8Array([...a, ...b])))).not.toEqual(Buffer.from(hashNode(a, b)));
  });

  it("matches the RFC 6962 split for 3 and 5 leaves, and the empty tree", () => {
    const l = leaves(5);
    expect(merkleRoot(l.slice(0, 3))).toEqual(hashNode(hashNode(l[0]!, l[1]!), l[2]!));
    expect(merkleRoot(l)).toEqual(hashNode(hashNode(hashNode(l[0]!, l[1]!), hashNode(l[2]!, l[3]!)), l[4]!));
    expect(Buffer.from(merkleRoot([])).toString("hex")).toBe(
      Buffer.from(sha256(new Uint8Array())).toString("hex"),
    );
  });

  for (const kernel of KERNELS) {
    it(`every proof verifies for every tree size, and fails at any other index (${kernel})`, () => {
      withKernel(kernel, () =>
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (n, i) => {
            const l = leaves(n);
            const root = merkleRoot(l);
            const index = i % n;
            const proof = merkleProof(l, index);
            expect(verifyMerkleProof(l[index]!, proof, n, root)).toBe(true);
            if (n > 1) {
              expect(verifyMerkleProof(l[(index + 1) % n]!, proof, n, root)).toBe(false);
              expect(verifyMerkleProof(l[index]!, { ...proof, index: (index + 1) % n }, n, root)).toBe(false);
            }
          }),
          { numRuns: 300 },
        ),
      );
    });
  }
});
