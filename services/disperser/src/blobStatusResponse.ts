/**
 * A blob's Redis record (docs/pipeline.md "Blob status (Redis)") as a GetBlobStatusResponse.
 * Pure translation: fields a status has not reached are left unset.
 * - `certificate`, `inclusion`: protobuf bytes, base64 (written by the attester);
 * - `shard`, `height`, `blockHash` (hex, or base64), `index`: written by the consensus leader;
 * - `t.<STATUS>`: ms timestamps, reported oldest first;
 * - expires_at_ms: timestamp + retention once CONFIRMED (0 for permanent blobs or before).
 */
import { fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { blobHeaderToProto } from "@tributary/proto";
import { BlobStatus } from "@tributary/proto/tributary/common/v1/blob";
import { BlobInclusionSchema, CertificateSchema } from "@tributary/proto/tributary/common/v1/certificate";
import type { GetBlobStatusResponseSchema } from "@tributary/proto/tributary/disperser/v1/disperser";
import { decodeBlobHeader, expiresAtMs } from "@tributary/protocol";
import { BLOB_STATUSES, type BlobRecord, type BlobStatusName, statusRank } from "@tributary/runtime";
import { fromHex } from "./hex.ts";

type StatusResponseInit = MessageInitShape<typeof GetBlobStatusResponseSchema>;

export const STATUS_TO_PROTO: Record<BlobStatusName, BlobStatus> = {
  QUEUED: BlobStatus.QUEUED,
  ENCODED: BlobStatus.ENCODED,
  CERTIFIED: BlobStatus.CERTIFIED,
  CONFIRMED: BlobStatus.CONFIRMED,
  FINALIZED: BlobStatus.FINALIZED,
  FAILED: BlobStatus.FAILED,
  EXPIRED: BlobStatus.EXPIRED,
};

export function statusResponseOf(record: BlobRecord): StatusResponseInit {
  const f = record.fields;
  const out: StatusResponseInit = { status: STATUS_TO_PROTO[record.status] };
  const header = f.header === undefined ? undefined : decodeBlobHeader(fromHex(f.header));
  if (header !== undefined) out.header = blobHeaderToProto(header);
  if (record.status === "FAILED") {
    out.failure = { code: f.failureCode ?? "", message: f.failureMessage ?? "" };
  }
  if (f.certificate !== undefined) out.certificate = fromBinary(CertificateSchema, base64(f.certificate));
  if (f.inclusion !== undefined) out.inclusion = fromBinary(BlobInclusionSchema, base64(f.inclusion));
  if (f.shard !== undefined) out.consensusShardId = f.shard;
  if (f.height !== undefined && /^\d+$/.test(f.height)) out.blockHeight = BigInt(f.height);
  if (f.blockHash !== undefined) out.blockHash = hashBytes(f.blockHash);
  out.statusTimes = BLOB_STATUSES.flatMap((status) => {
    const at = f[`t.${status}`];
    return at !== undefined && /^\d+$/.test(at)
      ? [{ status: STATUS_TO_PROTO[status], atMs: BigInt(at) }]
      : [];
  }).sort((a, b) => (a.atMs < b.atMs ? -1 : a.atMs > b.atMs ? 1 : 0));
  const reachedConfirmed =
    record.status === "EXPIRED" ||
    (record.status !== "FAILED" && statusRank(record.status) >= statusRank("CONFIRMED"));
  const expires = header === undefined || !reachedConfirmed ? undefined : expiresAtMs(header);
  if (expires !== undefined) out.expiresAtMs = BigInt(expires);
  return out;
}

function base64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** 32-byte hashes are stored as hex by convention; accept base64 too. */
function hashBytes(text: string): Uint8Array {
  return /^[0-9a-f]{64}$/i.test(text) ? fromHex(text) : base64(text);
}
