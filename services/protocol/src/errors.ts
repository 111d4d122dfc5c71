/**
 * Every failure the protocol library reports carries a stable, prefixed code so that services
 * can map it to a gRPC status and a machine-readable FAILED reason without parsing messages.
 */
export const ProtocolErrorCode = {
  invalidParams: "PROTOCOL_ERROR_INVALID_PARAMS",
  blobTooLarge: "PROTOCOL_ERROR_BLOB_TOO_LARGE",
  blobEmpty: "PROTOCOL_ERROR_BLOB_EMPTY",
  wrongSize: "PROTOCOL_ERROR_WRONG_SIZE",
  unrecoverable: "PROTOCOL_ERROR_UNRECOVERABLE",
  badPadding: "PROTOCOL_ERROR_BAD_PADDING",
  badEncoding: "PROTOCOL_ERROR_BAD_ENCODING",
  rootMismatch: "PROTOCOL_ERROR_ROOT_MISMATCH",
  invalidNamespace: "PROTOCOL_ERROR_INVALID_NAMESPACE",
  invalidRetention: "PROTOCOL_ERROR_INVALID_RETENTION",
  invalidHeader: "PROTOCOL_ERROR_INVALID_HEADER",
  invalidKey: "PROTOCOL_ERROR_INVALID_KEY",
  invalidSignature: "PROTOCOL_ERROR_INVALID_SIGNATURE",
  invalidProof: "PROTOCOL_ERROR_INVALID_PROOF",
  belowThreshold: "PROTOCOL_ERROR_BELOW_THRESHOLD",
  unknownPreset: "PROTOCOL_ERROR_UNKNOWN_PRESET",
  invalidEpoch: "PROTOCOL_ERROR_INVALID_EPOCH",
  epochMismatch: "PROTOCOL_ERROR_EPOCH_MISMATCH",
  invalidProofOfPossession: "PROTOCOL_ERROR_INVALID_PROOF_OF_POSSESSION",
  invalidBitmap: "PROTOCOL_ERROR_INVALID_BITMAP",
  insufficientColumns: "PROTOCOL_ERROR_INSUFFICIENT_COLUMNS",
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly meta: Record<string, unknown>;

  constructor(code: ProtocolErrorCode, message: string, meta: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ProtocolError";
    this.code = code;
    this.meta = meta;
  }
}
