/**
 * The square's commitment: a SHA-256 Merkle root per row and per column over that line's cells,
 * and dataRoot = Merkle(rowRoots || colRoots) with every root entering as a leaf. Each cell's
 * leaf hash H(0x00 || cell) is computed once and shared by its row tree and its column tree.
 *
 * A cell proof is the cell's path to its column root plus that root's path to the data root, so
 * a storage shard that holds whole columns can serve any cell with a proof.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { type ExtendedSquare, squareWidth } from "./extendedSquare.ts";
import { currentKernel } from "./gfKernel.ts";
import {
  bytesEqual,
  HASH_BYTES,
  hashLeaf,
  type MerkleProof,
  merkleRoot,
  rootFromProof,
  verifyMerkleProof,
} from "./merkle.ts";
import { cellOffset, type SquareParams } from "./squareLayout.ts";

export interface SquareCommitment {
  readonly rowRoots: readonly Uint8Array[];
  readonly colRoots: readonly Uint8Array[];
  readonly dataRoot: Uint8Array;
}

/** Commitment plus the tree levels, kept so a proof costs O(log n) copies and no hashing. */
export interface CommittedSquare {
  readonly square: ExtendedSquare;
  readonly commitment: SquareCommitment;
  /**
   * Every level of every column tree: level 0 holds the leaf hash of cell (r, c) at index
   * c * 2k + r (column-major), level L holds 2k >> L nodes per column, column after column.
   */
  readonly columnLevels: readonly Uint8Array[];
  /** Every level of the tree over rowRoots || colRoots, from its leaf hashes to the data root. */
  readonly rootLevels: readonly Uint8Array[];
}

export interface CellProof {
  readonly row: number;
  readonly col: number;
  /** Path from the cell's leaf to its column root (leaf index = row). */
  readonly columnProof: MerkleProof;
  readonly columnRoot: Uint8Array;
  /** Path from the column root's leaf to the data root (leaf index = 2k + col). */
  readonly rootProof: MerkleProof;
}

export function commitSquare(square: ExtendedSquare): CommittedSquare {
  const w = squareWidth(square.params);
  const kernel = currentKernel();
  const offsets = new Int32Array(w * w);
  for (let r = 0; r < w; r++)
    for (let c = 0; c < w; c++) offsets[r * w + c] = cellOffset(square.params, r, c);
  const rowLeaves = new Uint8Array(w * w * HASH_BYTES);
  kernel.hashLeaves(square.data, offsets, square.params.cellSize, rowLeaves);
  const columnLevels = treeLevels(transposeHashes(rowLeaves, w), w);
  const rowRoots = splitHashes(treeLevels(rowLeaves, w).at(-1)!);
  const colRoots = splitHashes(columnLevels.at(-1)!);
  const rootLeafHashes = new Uint8Array(2 * w * HASH_BYTES);
  rootLeaves(rowRoots, colRoots).forEach((leaf, i) => {
    rootLeafHashes.set(leaf, i * HASH_BYTES);
  });
  const rootLevels = treeLevels(rootLeafHashes, 2 * w);
  return {
    square,
    commitment: { rowRoots, colRoots, dataRoot: rootLevels.at(-1)!.slice() },
    columnLevels,
    rootLevels,
  };
}

export function dataRootOf(rowRoots: readonly Uint8Array[], colRoots: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(rootLeaves(rowRoots, colRoots));
}

function rootLeaves(rowRoots: readonly Uint8Array[], colRoots: readonly Uint8Array[]): Uint8Array[] {
  return [...rowRoots, ...colRoots].map((root) => hashLeaf(root));
}

/**
 * Every level of the Merkle tree of one line given as a single buffer of 2k cells (a stored
 * column, say): leaf hashes in one batch call, then one call per level. Level 0 holds the
 * leaf hashes, the last level the line's root.
 */
export function lineTreeOfBuffer(cells: Uint8Array, cellSize: number): readonly Uint8Array[] {
  const count = cells.length / cellSize;
  if (!Number.isInteger(count) || count < 1 || (count & (count - 1)) !== 0) {
    throw new ProtocolError(
      ProtocolErrorCode.wrongSize,
      "a line holds a power-of-two number of whole cells",
      {
        bytes: cells.length,
        cellSize,
      },
    );
  }
  const leaves = new Uint8Array(count * HASH_BYTES);
  currentKernel().hashLeaves(
    cells,
    Int32Array.from({ length: count }, (_, i) => i * cellSize),
    cellSize,
    leaves,
  );
  return treeLevels(leaves, count);
}

/** Root of a line given as one buffer of cells (batched hashing; see lineTreeOfBuffer). */
export function lineRootOfBuffer(cells: Uint8Array, cellSize: number): Uint8Array {
  return lineTreeOfBuffer(cells, cellSize).at(-1)!.slice();
}

/** Proof of cell `index` of a line from its `lineTreeOfBuffer` levels. */
export function lineProofFromTree(levels: readonly Uint8Array[], index: number): MerkleProof {
  const count = levels[0]!.length / HASH_BYTES;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ProtocolError(ProtocolErrorCode.invalidProof, "leaf index out of range", { index, count });
  }
  return pathFromLevels(levels, count, 0, index);
}

/** Merkle root of one line's cells (2k cells), computed on its own. */
export function lineRoot(cells: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(cells.map((cell) => hashLeaf(cell)));
}

/**
 * All levels of consecutive perfect trees of `perTree` leaf hashes each (a power of two), from
 * the leaves to one root per tree. Pairs never straddle two trees, so a whole level of every
 * tree is one batch call.
 */
function treeLevels(leaves: Uint8Array, perTree: number): Uint8Array[] {
  const kernel = currentKernel();
  const levels = [leaves];
  for (let n = perTree; n > 1; n /= 2) {
    const level = levels.at(-1)!;
    const next = new Uint8Array(level.length / 2);
    kernel.hashNodes(level, next);
    levels.push(next);
  }
  return levels;
}

/** Sibling path of leaf `index` in tree number `tree` of a `treeLevels` result. */
function pathFromLevels(
  levels: readonly Uint8Array[],
  perTree: number,
  tree: number,
  index: number,
): MerkleProof {
  const siblings: Uint8Array[] = [];
  for (let level = 0, n = perTree, i = index; n > 1; level++, n /= 2, i >>= 1) {
    const at = (tree * n + (i ^ 1)) * HASH_BYTES;
    siblings.push(levels[level]!.slice(at, at + HASH_BYTES));
  }
  return { index, siblings };
}

function transposeHashes(rowMajor: Uint8Array, w: number): Uint8Array {
  const src = new Uint32Array(rowMajor.buffer, rowMajor.byteOffset, rowMajor.length / 4);
  const dst = new Uint32Array(src.length);
  for (let r = 0; r < w; r++) {
    for (let c = 0; c < w; c++) {
      const s = (r * w + c) * 8;
      const d = (c * w + r) * 8;
      for (let i = 0; i < 8; i++) dst[d + i] = src[s + i]!;
    }
  }
  return new Uint8Array(dst.buffer);
}

function splitHashes(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += HASH_BYTES) out.push(bytes.slice(i, i + HASH_BYTES));
  return out;
}

/** Proof for cell (row, col) against the square's data root. */
export function cellProof(committed: CommittedSquare, row: number, col: number): CellProof {
  const w = squareWidth(committed.square.params);
  if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= w || col >= w) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "cell coordinates out of range", {
      row,
      col,
      width: w,
    });
  }
  return {
    row,
    col,
    columnProof: pathFromLevels(committed.columnLevels, w, col, row),
    columnRoot: committed.commitment.colRoots[col]!,
    rootProof: pathFromLevels(committed.rootLevels, 2 * w, 0, w + col),
  };
}

/**
 * Checks a cell against a data root. Returns false for any mismatch: wrong cell size, a proof
 * whose indices do not match the claimed coordinates, or a hash that does not chain.
 */
export function verifyCellProof(
  cell: Uint8Array,
  proof: CellProof,
  params: SquareParams,
  dataRoot: Uint8Array,
): boolean {
  const w = squareWidth(params);
  if (cell.length !== params.cellSize) return false;
  if (proof.row < 0 || proof.row >= w || proof.col < 0 || proof.col >= w) return false;
  if (proof.columnProof.index !== proof.row || proof.rootProof.index !== w + proof.col) return false;
  const columnRoot = rootFromProof(hashLeaf(cell), proof.columnProof, w);
  if (columnRoot === undefined || !bytesEqual(columnRoot, proof.columnRoot)) return false;
  return verifyMerkleProof(hashLeaf(columnRoot), proof.rootProof, 2 * w, dataRoot);
}

/** Checks that a line root (row `index`, or column `index`) is committed in the data root. */
export function verifyLineRoot(
  root: Uint8Array,
  axis: "row" | "col",
  index: number,
  proof: MerkleProof,
  params: SquareParams,
  dataRoot: Uint8Array,
): boolean {
  const w = squareWidth(params);
  const expected = axis === "row" ? index : w + index;
  if (index < 0 || index >= w || proof.index !== expected) return false;
  return verifyMerkleProof(hashLeaf(root), proof, 2 * w, dataRoot);
}

/** Proof that a row or column root is part of the data root. */
export function lineRootProof(committed: CommittedSquare, axis: "row" | "col", index: number): MerkleProof {
  const w = squareWidth(committed.square.params);
  return pathFromLevels(committed.rootLevels, 2 * w, 0, axis === "row" ? index : w + index);
}
