// Public surface of @tributary/protocol: pure protocol logic, no I/O.

export {
  ACCOUNT_SECRET_KEY_BYTES,
  ACCOUNT_SIGNATURE_BYTES,
  accountOf,
  isAnonymousAccount,
  newAccountSecretKey,
  recoverAccount,
  signBlobKey,
} from "./accountAuth.ts";
export {
  ASSIGN_COLUMN_DOMAIN,
  ASSIGN_NAMESPACE_DOMAIN,
  ASSIGN_SHARD_DOMAIN,
  ColumnAssignment,
  columnHolderIndices,
  columnsForShard,
  consensusShardForNamespace,
  storageShardsForColumn,
} from "./assignment.ts";
export { type BadEncodingProof, findBadEncoding, verifyBadEncodingProof } from "./badEncoding.ts";
export {
  BATCH_SIGNING_DOMAIN,
  type BatchHeader,
  batchHeadersEqual,
  batchInclusionProof,
  batchRoot,
  batchSigningMessage,
  decodeBatchHeader,
  encodeBatchHeader,
  MAX_BATCH_BLOBS,
  validateBatchHeader,
  verifyBatchInclusion,
} from "./batch.ts";
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
  BLOCK_DOMAIN,
  BLOCK_VOTE_DOMAIN,
  type BlockContent,
  type BlockEntryContent,
  blockHash,
  blockSigningMessage,
  encodeBlockContent,
  ZERO_HASH,
} from "./block.ts";
export {
  aggregatePublicKeys,
  aggregateSignatures,
  BLS_POP_DST,
  BLS_PUBLIC_KEY_BYTES,
  BLS_SIGNATURE_BYTES,
  BLS_SIGNATURE_DST,
  clearPublicKeyCache,
  decodePublicKey,
  decodeSignature,
  fastAggregateVerify,
  getPublicKeyCacheStats,
  isValidPublicKey,
  proveProofOfPossession,
  publicKeyOf,
  setPublicKeyCacheCapacity,
  sign,
  verify,
  verifyProofOfPossession,
} from "./bls.ts";
export { BLS_SECRET_KEY_BYTES, deriveChildSecretKey, secretKeyFromSeed } from "./blsKeygen.ts";
export {
  buildCertificate,
  type Certificate,
  type CertificateCheck,
  type CertifiedBlob,
  decodeSignerBitmap,
  encodeSignerBitmap,
  requiredColumns,
  type VerifyCertificateOptions,
  verifyBatchSignature,
  verifyBlobCertificate,
  verifyCertificate,
} from "./certificate.ts";
export {
  type CellProof,
  type CommittedSquare,
  cellProof,
  commitSquare,
  dataRootOf,
  lineProofFromTree,
  lineRoot,
  lineRootOfBuffer,
  lineRootProof,
  lineTreeOfBuffer,
  type SquareCommitment,
  verifyCellProof,
  verifyLineRoot,
} from "./commitment.ts";
export {
  type ConsensusShardMember,
  type ConsensusValidator,
  type EpochMembership,
  type StorageShardMember,
  storageShardIndex,
  totalStorageWeight,
  validateEpoch,
} from "./epoch.ts";
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
export {
  allocAligned,
  availableKernels,
  currentKernel,
  type GfKernel,
  type KernelChoice,
  useKernel,
} from "./gfKernel.ts";
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
  encodeSampleReport,
  encodeSampleReportBatch,
  SAMPLE_REPORT_BATCH_DOMAIN,
  SAMPLE_REPORT_DOMAIN,
  type SampleReportFields,
  signSampleReport,
  signSampleReportBatch,
  verifySampleReport,
  verifySampleReportBatch,
} from "./sampleReport.ts";
export {
  type CellCoordinate,
  DEFAULT_SAMPLING_CONFIDENCE,
  missProbability,
  pickSampleCoordinates,
  samplesNeeded,
} from "./sampling.ts";
export {
  resignForEpoch,
  type SignedSubmission,
  type SubmissionFields,
  signSubmission,
  submissionHeader,
} from "./signedSubmission.ts";
export {
  cellOffset,
  chooseSquareParams,
  extractBlob,
  layoutBlob,
  type SquareParams,
  squareCapacity,
} from "./squareLayout.ts";
