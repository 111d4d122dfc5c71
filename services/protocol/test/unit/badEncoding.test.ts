import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BadEncodingProof,
  cellProof,
  commitSquare,
  encodeBlob,
  findBadEncoding,
  getCell,
  lineRootProof,
  PRESETS,
  squareWidth,
  verifyBadEncodingProof,
} from "../../src/index.ts";

function randomBlob(size: number): Uint8Array {
  const b = new Uint8Array(size);
  crypto.getRandomValues(b);
  return b;
}

describe("bad-encoding proofs", () => {
  it("a square with one wrong parity cell yields a proof that verifies", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (size, a, b, at, mask) => {
          const { square } = encodeBlob(randomBlob(size), PRESETS.devnet);
          const { k, cellSize } = square.params;
          const w = squareWidth(square.params);
          // A parity cell: outside the original k x k quadrant.
          const row = a % w;
          const col = row < k ? k + (b % k) : b % w;
          square.data[(row * w + col) * cellSize + (at % cellSize)]! ^= mask;
          // The dishonest encoder commits to what it stored.
          const committed = commitSquare(square);
          const proof = findBadEncoding(committed);
          expect(proof).toBeDefined();
          expect(verifyBadEncodingProof(proof!, square.params, committed.commitment.dataRoot)).toBe(true);
          // The proof names a line through the wrong cell.
          expect(proof!.axis === "row" ? proof!.index === row : proof!.index === col).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("a correct square never yields one, and a proof built from it never verifies", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), fc.nat(), fc.boolean(), (size, index, useRow) => {
        const committed = encodeBlob(randomBlob(size), PRESETS.devnet);
        expect(findBadEncoding(committed)).toBeUndefined();
        const { k } = committed.square.params;
        const w = squareWidth(committed.square.params);
        const axis = useRow ? "row" : "col";
        const i = index % w;
        // The strongest forgery available: k genuine cells with genuine proofs.
        const positions = Array.from({ length: k }, (_, j) => (j * 2 + (index % 2)) % w);
        const forged: BadEncodingProof = {
          axis,
          index: i,
          cells: positions.map((p) => {
            const [r, c] = axis === "row" ? [i, p] : [p, i];
            return { cell: getCell(committed.square, r, c), proof: cellProof(committed, r, c) };
          }),
          lineRoot: (axis === "row" ? committed.commitment.rowRoots : committed.commitment.colRoots)[i]!,
          lineRootProof: lineRootProof(committed, axis, i),
        };
        expect(verifyBadEncodingProof(forged, committed.square.params, committed.commitment.dataRoot)).toBe(
          false,
        );
      }),
      { numRuns: 40 },
    );
  });

  it("a tampered bad-encoding proof is rejected", () => {
    const { square } = encodeBlob(randomBlob(10_000), PRESETS.devnet);
    const { k, cellSize } = square.params;
    square.data[k * cellSize]! ^= 1; // cell (0, k): first parity cell of row 0
    const committed = commitSquare(square);
    const proof = findBadEncoding(committed)!;
    const { dataRoot } = committed.commitment;
    const tooFew = { ...proof, cells: proof.cells.slice(1) };
    expect(verifyBadEncodingProof(tooFew, square.params, dataRoot)).toBe(false);
    const duplicated = { ...proof, cells: [proof.cells[0]!, ...proof.cells.slice(0, -1)] };
    expect(verifyBadEncodingProof(duplicated, square.params, dataRoot)).toBe(false);
    const flipped = proof.cells.map((c, j) =>
      j === 0 ? { ...c, cell: c.cell.map((x, n) => (n === 0 ? x ^ 1 : x)) } : c,
    );
    expect(verifyBadEncodingProof({ ...proof, cells: flipped }, square.params, dataRoot)).toBe(false);
    const wrongRoot = proof.lineRoot.slice();
    wrongRoot[0]! ^= 1;
    expect(verifyBadEncodingProof({ ...proof, lineRoot: wrongRoot }, square.params, dataRoot)).toBe(false);
    expect(verifyBadEncodingProof({ ...proof, index: proof.index + 1 }, square.params, dataRoot)).toBe(false);
  });
});
