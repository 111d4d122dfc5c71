import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CellProof,
  cellProof,
  encodeBlob,
  getCell,
  lineProofFromTree,
  lineRootOfBuffer,
  lineRootProof,
  lineTreeOfBuffer,
  PRESETS,
  squareWidth,
  verifyCellProof,
  verifyLineRoot,
} from "../../src/index.ts";
import { seededBytes } from "../utils/bytes.ts";

const committed = encodeBlob(seededBytes("commitment", 20_000), PRESETS.devnet);
const { params } = committed.square;
const { dataRoot } = committed.commitment;
const w = squareWidth(params);
const coordinate = fc.integer({ min: 0, max: w - 1 });

/** Every byte of a proof, addressed so a test can flip any one of them. */
function proofFields(p: CellProof): Uint8Array[] {
  return [...p.columnProof.siblings, p.columnRoot, ...p.rootProof.siblings];
}

function cloneProof(p: CellProof): CellProof {
  return {
    row: p.row,
    col: p.col,
    columnProof: { index: p.columnProof.index, siblings: p.columnProof.siblings.map((s) => s.slice()) },
    columnRoot: p.columnRoot.slice(),
    rootProof: { index: p.rootProof.index, siblings: p.rootProof.siblings.map((s) => s.slice()) },
  };
}

describe("cell proofs", () => {
  it("every cell verifies against the data root", () => {
    for (let r = 0; r < w; r++) {
      for (let c = 0; c < w; c++) {
        expect(
          verifyCellProof(getCell(committed.square, r, c), cellProof(committed, r, c), params, dataRoot),
        ).toBe(true);
      }
    }
  });

  it("flipping any byte of the cell is detected", () => {
    fc.assert(
      fc.property(coordinate, coordinate, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, c, at, mask) => {
        const cell = getCell(committed.square, r, c).slice();
        cell[at % cell.length]! ^= mask;
        expect(verifyCellProof(cell, cellProof(committed, r, c), params, dataRoot)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("flipping any byte of any proof field is detected", () => {
    fc.assert(
      fc.property(
        coordinate,
        coordinate,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (r, c, f, at, mask) => {
          const proof = cloneProof(cellProof(committed, r, c));
          const fields = proofFields(proof);
          const field = fields[f % fields.length]!;
          field[at % field.length]! ^= mask;
          expect(verifyCellProof(getCell(committed.square, r, c), proof, params, dataRoot)).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a proof moved to other coordinates, truncated or padded is rejected", () => {
    const proof = cellProof(committed, 3, 5);
    const cell = getCell(committed.square, 3, 5);
    expect(verifyCellProof(cell, { ...proof, row: 4 }, params, dataRoot)).toBe(false);
    expect(verifyCellProof(cell, { ...proof, col: 6 }, params, dataRoot)).toBe(false);
    const short = {
      ...proof,
      rootProof: { ...proof.rootProof, siblings: proof.rootProof.siblings.slice(1) },
    };
    expect(verifyCellProof(cell, short, params, dataRoot)).toBe(false);
    const long = {
      ...proof,
      columnProof: { ...proof.columnProof, siblings: [...proof.columnProof.siblings, new Uint8Array(32)] },
    };
    expect(verifyCellProof(cell, long, params, dataRoot)).toBe(false);
    expect(verifyCellProof(cell.subarray(1), proof, params, dataRoot)).toBe(false);
    const otherRoot = dataRoot.slice();
    otherRoot[0]! ^= 1;
    expect(verifyCellProof(cell, proof, params, otherRoot)).toBe(false);
  });

  it("row and column roots prove into the data root at their own index only", () => {
    for (let i = 0; i < w; i++) {
      const rowProof = lineRootProof(committed, "row", i);
      expect(verifyLineRoot(committed.commitment.rowRoots[i]!, "row", i, rowProof, params, dataRoot)).toBe(
        true,
      );
      expect(verifyLineRoot(committed.commitment.rowRoots[i]!, "col", i, rowProof, params, dataRoot)).toBe(
        false,
      );
      const colProof = lineRootProof(committed, "col", i);
      expect(verifyLineRoot(committed.commitment.colRoots[i]!, "col", i, colProof, params, dataRoot)).toBe(
        true,
      );
    }
  });
});

describe("line trees from one buffer (batched hashing)", () => {
  it("give the committed column roots and proofs that verify", () => {
    for (let c = 0; c < w; c += 7) {
      const column = Buffer.concat(Array.from({ length: w }, (_, r) => getCell(committed.square, r, c)));
      const levels = lineTreeOfBuffer(column, params.cellSize);
      expect(
        Buffer.from(lineRootOfBuffer(column, params.cellSize)).equals(committed.commitment.colRoots[c]!),
      ).toBe(true);
      for (const r of [0, 5, w - 1]) {
        const proof = { ...cellProof(committed, r, c), columnProof: lineProofFromTree(levels, r) };
        expect(verifyCellProof(getCell(committed.square, r, c), proof, params, dataRoot)).toBe(true);
      }
    }
    expect(() => lineTreeOfBuffer(new Uint8Array(3 * params.cellSize), params.cellSize)).toThrow(
      /power-of-two/,
    );
  });
});
