/**
 * The 2k x 2k extended square: rows are extended first (right half), then every column
 * (bottom half), so every row and every column is a codeword of the code in reedSolomon.ts.
 * Rebuilding follows rsmt2d (Celestia): repeatedly rebuild any row or column that has at least
 * k of its 2k cells, until the square is whole or no line can make progress.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { currentKernel } from "./gfKernel.ts";
import { assertValidK, interpolationMatrix } from "./reedSolomon.ts";
import { cellOffset, layoutBlob, type SquareParams } from "./squareLayout.ts";

export interface ExtendedSquare {
  readonly params: SquareParams;
  /** (2k)^2 cells, row-major, each `cellSize` bytes. */
  readonly data: Uint8Array;
}

/** Width (cells per row or column) of the extended square. */
export function squareWidth(params: SquareParams): number {
  return 2 * params.k;
}

export function getCell(square: ExtendedSquare, row: number, col: number): Uint8Array {
  const off = cellOffset(square.params, row, col);
  return square.data.subarray(off, off + square.params.cellSize);
}

/** Byte offsets of the cells of one row or column, in order. */
export function lineOffsets(params: SquareParams, axis: "row" | "col", index: number): Int32Array {
  const w = squareWidth(params);
  const out = new Int32Array(w);
  for (let i = 0; i < w; i++) {
    out[i] = axis === "row" ? cellOffset(params, index, i) : cellOffset(params, i, index);
  }
  return out;
}

function assertParams(params: SquareParams): void {
  assertValidK(params.k);
  if (!Number.isInteger(params.cellSize) || params.cellSize < 64 || params.cellSize % 64 !== 0) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "cell size must be a positive multiple of 64", {
      cellSize: params.cellSize,
    });
  }
}

/**
 * Lays out a blob and extends it. `into` lets a long-running encoder reuse one buffer per
 * geometry: a fresh 64 MiB square costs more in page faults than its whole Reed-Solomon pass.
 */
export function extendBlob(blob: Uint8Array, params: SquareParams, into?: Uint8Array): ExtendedSquare {
  assertParams(params);
  const square: ExtendedSquare = { params, data: layoutBlob(blob, params, into) };
  extendInPlace(square);
  return square;
}

/** Fills the parity of a square whose original quadrant is set. */
export function extendInPlace(square: ExtendedSquare): void {
  const { k, cellSize } = square.params;
  const kernel = currentKernel();
  for (let r = 0; r < k; r++) {
    const line = lineOffsets(square.params, "row", r);
    kernel.fftExtend(square.data, line.subarray(0, k), line.subarray(k), k, cellSize);
  }
  // Every column is extended by the same linear map, so the bottom half is one transform over
  // whole rows (row k+m from rows 0..k-1): contiguous 2k-cell rows stream far better than 2k
  // separate strided column transforms.
  const rowBytes = 2 * k * cellSize;
  const topRows = Int32Array.from({ length: k }, (_, i) => i * rowBytes);
  const bottomRows = Int32Array.from({ length: k }, (_, i) => (k + i) * rowBytes);
  kernel.fftExtend(square.data, topRows, bottomRows, k, rowBytes);
}

/**
 * Rebuilds every missing cell in place. `present[row * 2k + col]` is 1 for cells that hold
 * data; it is updated as cells are rebuilt. Throws PROTOCOL_ERROR_UNRECOVERABLE, naming how
 * many cells are still missing, when the erasure pattern allows no further progress.
 */
export function repairSquare(square: ExtendedSquare, present: Uint8Array): void {
  assertParams(square.params);
  const w = squareWidth(square.params);
  if (present.length !== w * w || square.data.length !== w * w * square.params.cellSize) {
    throw new ProtocolError(ProtocolErrorCode.wrongSize, "square or presence map has the wrong size", {
      cells: present.length,
      expected: w * w,
    });
  }
  let missing = 0;
  for (let i = 0; i < present.length; i++) if (present[i] === 0) missing++;
  while (missing > 0) {
    let progress = 0;
    for (const axis of ["row", "col"] as const) {
      for (let index = 0; index < w; index++) progress += repairLine(square, present, axis, index);
    }
    if (progress === 0) {
      throw new ProtocolError(
        ProtocolErrorCode.unrecoverable,
        `square cannot be rebuilt: ${missing} of ${w * w} cells missing and no row or column has k of its cells`,
        { missing, cells: w * w, k: square.params.k },
      );
    }
    missing -= progress;
  }
}

/** Rebuilds one line if it has >= k cells and lacks some; returns how many cells it rebuilt. */
function repairLine(square: ExtendedSquare, present: Uint8Array, axis: "row" | "col", index: number): number {
  const { k, cellSize } = square.params;
  const w = 2 * k;
  const known: number[] = [];
  const targets: number[] = [];
  for (let i = 0; i < w; i++) {
    const cell = axis === "row" ? index * w + i : i * w + index;
    if (present[cell] === 1) {
      if (known.length < k) known.push(i);
    } else {
      targets.push(i);
    }
  }
  if (targets.length === 0 || known.length < k) return 0;
  const line = lineOffsets(square.params, axis, index);
  const inOffsets = Int32Array.from(known, (i) => line[i]!);
  const outOffsets = Int32Array.from(targets, (i) => line[i]!);
  const coefs = interpolationMatrix(known, targets);
  currentKernel().matMul(coefs, targets.length, k, square.data, inOffsets, outOffsets, cellSize);
  for (const i of targets) present[axis === "row" ? index * w + i : i * w + index] = 1;
  return targets.length;
}

/**
 * Rebuilds the cells of one line (2k cells of `cellSize` bytes, in order) from the k cells at
 * `known` positions. Used by bad-encoding proofs and by storage repair of a single column.
 */
export function rebuildLine(
  cells: ReadonlyMap<number, Uint8Array>,
  k: number,
  cellSize: number,
): Uint8Array[] {
  assertValidK(k);
  const known = [...cells.keys()].sort((a, b) => a - b).slice(0, k);
  if (known.length < k) {
    throw new ProtocolError(ProtocolErrorCode.unrecoverable, `a line needs ${k} cells, got ${known.length}`, {
      k,
      got: known.length,
    });
  }
  const w = 2 * k;
  const buf = new Uint8Array(w * cellSize);
  for (const i of known) {
    const cell = cells.get(i)!;
    if (cell.length !== cellSize) {
      throw new ProtocolError(ProtocolErrorCode.wrongSize, "cell has the wrong size", {
        index: i,
        size: cell.length,
      });
    }
    buf.set(cell, i * cellSize);
  }
  const knownSet = new Set(known);
  const targets = Array.from({ length: w }, (_, i) => i).filter((i) => !knownSet.has(i));
  const coefs = interpolationMatrix(known, targets);
  currentKernel().matMul(
    coefs,
    targets.length,
    k,
    buf,
    Int32Array.from(known, (i) => i * cellSize),
    Int32Array.from(targets, (i) => i * cellSize),
    cellSize,
  );
  return Array.from({ length: w }, (_, i) => buf.subarray(i * cellSize, (i + 1) * cellSize));
}
