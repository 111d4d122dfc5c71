/**
 * How a blob becomes a k x k square of cells.
 *
 * The blob's bytes fill the original quadrant row by row, cell by cell, followed by zero padding.
 * The length frame is the blob header's `size` field, which the blob key commits to: carrying
 * it inside the square would push a blob of exactly 16 MiB into a square of twice the area. A
 * reader therefore takes `size` from the (authenticated) header, and `extractBlob` rejects a
 * square whose padding is not all zeros, so one header maps to exactly one square.
 *
 * Geometry: the original square's area k^2 * cellSize is the smallest power of two that holds
 * the blob (so padding never exceeds the blob itself), and among the (k, cellSize) pairs with
 * that area the one with the smallest cells, because more cells make sampling and repair
 * finer-grained. Cells grow only once k would pass maxK.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import type { NetworkPreset } from "./presets.ts";

export interface SquareParams {
  /** Width of the original square; the extended square is 2k x 2k. */
  readonly k: number;
  /** Bytes per cell. */
  readonly cellSize: number;
}

export function chooseSquareParams(size: number, preset: NetworkPreset): SquareParams {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new ProtocolError(ProtocolErrorCode.blobEmpty, "blob must hold at least one byte", { size });
  }
  if (size > preset.maxBlobBytes) {
    throw new ProtocolError(
      ProtocolErrorCode.blobTooLarge,
      `blob of ${size} bytes exceeds the ${preset.name} maximum of ${preset.maxBlobBytes}`,
      { size, max: preset.maxBlobBytes },
    );
  }
  let area = preset.minCellSize;
  while (area < size) area *= 2;
  for (let cellSize = preset.minCellSize; cellSize <= preset.maxCellSize && cellSize <= area; cellSize *= 2) {
    // area / cellSize must be k^2 with k a power of two: an even power of two.
    const cells = area / cellSize;
    const k = Math.round(Math.sqrt(cells));
    if (k * k === cells && k <= preset.maxK) return { k, cellSize };
  }
  // Unreachable while maxBlobBytes <= maxK^2 * maxCellSize, which presets guarantee.
  throw new ProtocolError(ProtocolErrorCode.blobTooLarge, "blob does not fit the preset geometry", { size });
}

/** Bytes the original quadrant holds. */
export function squareCapacity(params: SquareParams): number {
  return params.k * params.k * params.cellSize;
}

/** Offset of cell (row, col) in an extended square buffer (2k x 2k cells, row-major). */
export function cellOffset(params: SquareParams, row: number, col: number): number {
  return (row * 2 * params.k + col) * params.cellSize;
}

/**
 * An extended-square buffer with the blob laid into its original quadrant and zero padding.
 * With `into` (exactly the square's size) that buffer is reused; only the original quadrant
 * is written, the parity quadrants are left for the extension to overwrite.
 */
export function layoutBlob(blob: Uint8Array, params: SquareParams, into?: Uint8Array): Uint8Array {
  const { k, cellSize } = params;
  if (blob.length > squareCapacity(params)) {
    throw new ProtocolError(ProtocolErrorCode.blobTooLarge, "blob larger than the square", {
      size: blob.length,
      capacity: squareCapacity(params),
    });
  }
  const squareBytes = 4 * k * k * cellSize;
  if (into !== undefined && into.length !== squareBytes) {
    throw new ProtocolError(ProtocolErrorCode.wrongSize, "reused square buffer has the wrong size", {
      length: into.length,
      expected: squareBytes,
    });
  }
  const square = into ?? new Uint8Array(squareBytes);
  const rowBytes = k * cellSize;
  for (let r = 0; r < k; r++) {
    const start = cellOffset(params, r, 0);
    const from = Math.min(blob.length, r * rowBytes);
    const to = Math.min(blob.length, (r + 1) * rowBytes);
    square.set(blob.subarray(from, to), start);
    if (into !== undefined) square.fill(0, start + (to - from), start + rowBytes);
  }
  return square;
}

/** The blob's `size` bytes from the original quadrant; the padding after them must be zero. */
export function extractBlob(square: Uint8Array, params: SquareParams, size: number): Uint8Array {
  const { k, cellSize } = params;
  const capacity = squareCapacity(params);
  if (!Number.isSafeInteger(size) || size < 1 || size > capacity) {
    throw new ProtocolError(ProtocolErrorCode.wrongSize, "blob size does not fit the square", {
      size,
      capacity,
    });
  }
  if (square.length !== 4 * k * k * cellSize) {
    throw new ProtocolError(ProtocolErrorCode.wrongSize, "square buffer has the wrong length", {
      length: square.length,
    });
  }
  const rowBytes = k * cellSize;
  const blob = new Uint8Array(size);
  for (let r = 0; r < k; r++) {
    const start = cellOffset(params, r, 0);
    const row = square.subarray(start, start + rowBytes);
    const at = r * rowBytes;
    if (at < size) {
      const take = Math.min(rowBytes, size - at);
      blob.set(row.subarray(0, take), at);
      if (!isZero(row.subarray(take))) throw paddingError(r);
    } else if (!isZero(row)) {
      throw paddingError(r);
    }
  }
  return blob;
}

function paddingError(row: number): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.badPadding, "square padding is not zero", { row });
}

function isZero(bytes: Uint8Array): boolean {
  // Word-wise scan: the padding of a 16 MiB square can be megabytes.
  const aligned = bytes.byteOffset % 4 === 0 ? Math.floor(bytes.length / 4) : 0;
  if (aligned > 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, aligned);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  }
  for (let i = aligned * 4; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
