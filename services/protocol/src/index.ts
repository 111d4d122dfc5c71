// Public surface of @tributary/protocol: pure protocol logic, no I/O.

export { type BadEncodingProof, findBadEncoding, verifyBadEncodingProof } from "./badEncoding.ts";
export { decodeBlob, encodeBlob } from "./blobCodec.ts";
export {
  ACCOUNT_BYTES,
  type BlobHeader,
  blobKey,
  decodeBlobHeader,
  encodeBlobHeader,
  expiresAtMs,
  HEADER_BYTES,
  HEADER_VERSION,
  NAMESPACE_BYTES,
  type RetentionLimits,
  squareParamsOf,
  validateBlobHeader,
  validateNamespace,
  validateRetention,
} from "./blobHeader.ts";
export {
  type CellProof,
  type CommittedSquare,
  cellProof,
  commitSquare,
  dataRootOf,
  lineRoot,
  lineRootProof,
  type SquareCommitment,
  verifyCellProof,
  verifyLineRoot,
} from "./commitment.ts";
export { ProtocolError, ProtocolErrorCode } from "./errors.ts";
export {
  type ExtendedSquare,
  extendBlob,
  extendInPlace,
  getCell,
  rebuildLine,
  repairSquare,
  squareWidth,
} from "./extendedSquare.ts";
export { availableKernels, currentKernel, type GfKernel, type KernelChoice, useKernel } from "./gfKernel.ts";
export {
  bytesEqual,
  HASH_BYTES,
  hashLeaf,
  hashNode,
  type MerkleProof,
  merkleProof,
  merkleRoot,
  rootFromProof,
  sha256,
  verifyMerkleProof,
} from "./merkle.ts";
export { getPreset, type NetworkPreset, PRESETS, presetById } from "./presets.ts";
export { encodeMatrix, interpolationMatrix, MAX_K } from "./reedSolomon.ts";
export {
  cellOffset,
  chooseSquareParams,
  extractBlob,
  layoutBlob,
  type SquareParams,
  squareCapacity,
} from "./squareLayout.ts";
