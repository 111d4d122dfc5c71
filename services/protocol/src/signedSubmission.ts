/**
 * What a client does to sign a dispersal (disperser.proto AccountAuth): build the header the
 * encoder will build — the submitter's fields plus size, geometry and data root from encoding
 * the blob with the preset, exactly as services/encoder does — and sign its blob key.
 * Encoding the blob is the price of a signature that covers the data itself.
 */
import { accountOf, signBlobKey } from "./accountAuth.ts";
import { encodeBlob } from "./blobCodec.ts";
import { type BlobHeader, blobKey, HEADER_VERSION } from "./blobHeader.ts";
import { getPreset, type NetworkPreset } from "./presets.ts";

/** The header fields a signed submission chooses; the rest follows from the data. */
export interface SubmissionFields {
  readonly preset: NetworkPreset["name"];
  readonly namespace: Uint8Array;
  readonly nonce: bigint;
  readonly timestampMs: number;
  readonly retentionSeconds: number;
  readonly epoch: number;
}

export interface SignedSubmission {
  readonly account: Uint8Array;
  readonly header: BlobHeader;
  readonly blobKey: Uint8Array;
  /** 65 bytes r || s || v (accountAuth.ts). */
  readonly signature: Uint8Array;
}

/** The complete header the encoder will produce for `data` submitted by `account` with `fields`. */
export function submissionHeader(
  data: Uint8Array,
  account: Uint8Array,
  fields: SubmissionFields,
): BlobHeader {
  const committed = encodeBlob(data, getPreset(fields.preset));
  return {
    version: HEADER_VERSION,
    preset: fields.preset,
    namespace: fields.namespace,
    account,
    nonce: fields.nonce,
    timestampMs: fields.timestampMs,
    size: data.length,
    k: committed.square.params.k,
    cellSize: committed.square.params.cellSize,
    dataRoot: committed.commitment.dataRoot,
    retentionSeconds: fields.retentionSeconds,
    epoch: fields.epoch,
  };
}

/** Builds the header, its blob key and the account's signature of it. */
export function signSubmission(
  secretKey: Uint8Array,
  data: Uint8Array,
  fields: SubmissionFields,
): SignedSubmission {
  const account = accountOf(secretKey);
  const header = submissionHeader(data, account, fields);
  const key = blobKey(header);
  return { account, header, blobKey: key, signature: signBlobKey(secretKey, key) };
}

/** Re-signs an earlier submission for another epoch (the data root does not depend on it). */
export function resignForEpoch(
  secretKey: Uint8Array,
  signed: SignedSubmission,
  epoch: number,
): SignedSubmission {
  const header = { ...signed.header, epoch };
  const key = blobKey(header);
  return { account: signed.account, header, blobKey: key, signature: signBlobKey(secretKey, key) };
}
