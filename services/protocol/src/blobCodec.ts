/**
 * The codec end to end: blob -> extended square + commitment, and back. This is what an encoder
 * runs per blob and what a reader runs after fetching enough columns.
 */
import { type CommittedSquare, commitSquare } from "./commitment.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { type ExtendedSquare, extendBlob, repairSquare } from "./extendedSquare.ts";
import { bytesEqual } from "./merkle.ts";
import type { NetworkPreset } from "./presets.ts";
import { chooseSquareParams, extractBlob, type SquareParams } from "./squareLayout.ts";

export function encodeBlob(blob: Uint8Array, preset: NetworkPreset): CommittedSquare {
  return commitSquare(extendBlob(blob, chooseSquareParams(blob.length, preset)));
}

/**
 * Rebuilds a blob from a partial square (`present` marks the cells that hold data), checks the
 * rebuilt square against `dataRoot`, and returns the blob's `size` bytes.
 */
export function decodeBlob(
  square: ExtendedSquare,
  present: Uint8Array,
  size: number,
  dataRoot: Uint8Array,
): Uint8Array {
  repairSquare(square, present);
  const { commitment } = commitSquare(square);
  if (!bytesEqual(commitment.dataRoot, dataRoot)) {
    throw new ProtocolError(
      ProtocolErrorCode.rootMismatch,
      "rebuilt square does not match the data root",
      {},
    );
  }
  return extractBlob(square.data, square.params, size);
}

export type { SquareParams };
