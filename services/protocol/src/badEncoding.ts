/**
 * Bad-encoding proofs: evidence that a committed row or column is not a codeword, so the blob
 * is invalid for every reader (Al-Bassam, Sonnino, Buterin, "Fraud and Data Availability
 * Proofs", 2018, section 5.4). The proof is k cells of the line with their cell proofs and the
 * line's committed root with its proof. A verifier rebuilds the whole line from the k cells;
 * if the rebuilt line's root differs from the committed root, the encoder lied.
 */

import {
  type CellProof,
  type CommittedSquare,
  cellProof,
  lineRoot,
  lineRootProof,
  verifyCellProof,
  verifyLineRoot,
} from "./commitment.ts";
import { getCell, rebuildLine, squareWidth } from "./extendedSquare.ts";
import { bytesEqual, type MerkleProof } from "./merkle.ts";
import type { SquareParams } from "./squareLayout.ts";

export interface BadEncodingProof {
  readonly axis: "row" | "col";
  readonly index: number;
  /** Exactly k cells of the line, each with its proof against the data root. */
  readonly cells: readonly { readonly cell: Uint8Array; readonly proof: CellProof }[];
  /** The line's root as committed, and its proof against the data root. */
  readonly lineRoot: Uint8Array;
  readonly lineRootProof: MerkleProof;
}

/** The first row, then column, that is not a codeword, as a proof; undefined for a good square. */
export function findBadEncoding(committed: CommittedSquare): BadEncodingProof | undefined {
  const { params } = committed.square;
  const w = squareWidth(params);
  for (const axis of ["row", "col"] as const) {
    for (let index = 0; index < w; index++) {
      const cells = Array.from({ length: w }, (_, i) =>
        axis === "row" ? getCell(committed.square, index, i) : getCell(committed.square, i, index),
      );
      const known = new Map(cells.slice(0, params.k).map((cell, i) => [i, cell] as const));
      const rebuilt = rebuildLine(known, params.k, params.cellSize);
      if (rebuilt.every((cell, i) => bytesEqual(cell, cells[i]!))) continue;
      return {
        axis,
        index,
        cells: [...known.keys()].map((i) => ({
          cell: cells[i]!.slice(),
          proof: axis === "row" ? cellProof(committed, index, i) : cellProof(committed, i, index),
        })),
        lineRoot: (axis === "row" ? committed.commitment.rowRoots : committed.commitment.colRoots)[index]!,
        lineRootProof: lineRootProof(committed, axis, index),
      };
    }
  }
  return undefined;
}

/**
 * True only when the proof shows, against `dataRoot`, that its line is not a codeword.
 * Any malformed or inconsistent proof yields false.
 */
export function verifyBadEncodingProof(
  proof: BadEncodingProof,
  params: SquareParams,
  dataRoot: Uint8Array,
): boolean {
  const w = squareWidth(params);
  if (proof.cells.length !== params.k || proof.index < 0 || proof.index >= w) return false;
  if (!verifyLineRoot(proof.lineRoot, proof.axis, proof.index, proof.lineRootProof, params, dataRoot))
    return false;
  const known = new Map<number, Uint8Array>();
  for (const { cell, proof: p } of proof.cells) {
    const onLine = proof.axis === "row" ? p.row === proof.index : p.col === proof.index;
    const position = proof.axis === "row" ? p.col : p.row;
    if (!onLine || known.has(position)) return false;
    if (!verifyCellProof(cell, p, params, dataRoot)) return false;
    known.set(position, cell);
  }
  const rebuilt = rebuildLine(known, params.k, params.cellSize);
  return !bytesEqual(lineRoot(rebuilt), proof.lineRoot);
}
