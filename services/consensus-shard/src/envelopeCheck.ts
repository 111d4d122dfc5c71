/**
 * Checking certified blobs before they are ordered (pure). Used by the leader on every
 * CertificateEnvelope and by every validator on every block entry:
 * - the certificate's batch header is well formed and names the epoch checked against;
 * - each blob: its header is valid, names the certificate's epoch, its key is recomputed from
 *   the header, its namespace is owned by this shard in that epoch, and its inclusion proof and
 *   the certificate verify (`verifyBlobCertificate`: weight >= 2/3, column coverage, aggregate
 *   signature; the pairing runs once per certificate, the other blobs reuse it, and not at all
 *   for a certificate this process already verified, when given `VerifiedCertificates`);
 * - no blob key twice.
 */
import type { BlobInclusion } from "@tributary/proto";
import {
  type BlobHeader,
  blobKey,
  bytesEqual,
  type Certificate,
  consensusShardForNamespace,
  type EpochMembership,
  validateBatchHeader,
  validateBlobHeader,
  verifyBlobCertificate,
} from "@tributary/protocol";
import type { VerifiedCertificates } from "./verifiedCertificates.ts";

export type CertifiedBlobIn = {
  readonly header: BlobHeader;
  readonly inclusion: BlobInclusion;
  /** When given (block entries), must equal the key recomputed from the header. */
  readonly expectedKey?: Uint8Array;
};

export type AcceptedBlob = {
  readonly blobKey: Uint8Array;
  readonly header: BlobHeader;
  readonly index: number;
};

export type EnvelopeCheck =
  | { readonly ok: true; readonly blobs: readonly AcceptedBlob[] }
  | { readonly ok: false; readonly reason: string };

export function checkCertifiedBlobs(
  certificate: Certificate,
  blobs: readonly CertifiedBlobIn[],
  epoch: EpochMembership,
  shardId: string,
  batchBlobCount: number = certificate.batchHeader.blobCount,
  verified?: VerifiedCertificates,
): EnvelopeCheck {
  if (certificate.batchHeader.epoch !== epoch.epoch)
    return { ok: false, reason: "certificate names another epoch" };
  // First: everything below hashes or signs the header (VerifiedCertificates keys on its signing
  // message), and a malformed one must be a refusal, not a throw (found by test/faults).
  try {
    validateBatchHeader(certificate.batchHeader);
  } catch (e) {
    return { ok: false, reason: `invalid batch header: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (batchBlobCount !== certificate.batchHeader.blobCount) {
    return { ok: false, reason: "batch blob count differs from the certificate's" };
  }
  if (blobs.length === 0) return { ok: false, reason: "no blobs" };
  const seen = new Set<string>();
  const accepted: AcceptedBlob[] = [];
  let signatureChecked = verified?.has(certificate) === true;
  for (const b of blobs) {
    let key: Uint8Array;
    try {
      validateBlobHeader(b.header);
      key = blobKey(b.header);
    } catch (e) {
      return { ok: false, reason: `invalid blob header: ${e instanceof Error ? e.message : String(e)}` };
    }
    const keyHex = Buffer.from(key).toString("hex");
    if (b.expectedKey !== undefined && !bytesEqual(b.expectedKey, key)) {
      return {
        ok: false,
        reason: `header does not hash to blob key ${Buffer.from(b.expectedKey).toString("hex")}`,
      };
    }
    if (seen.has(keyHex)) return { ok: false, reason: `blob ${keyHex} listed twice` };
    seen.add(keyHex);
    if (b.header.epoch !== epoch.epoch) return { ok: false, reason: `blob ${keyHex} names another epoch` };
    const owner = consensusShardForNamespace(epoch, b.header.namespace);
    if (owner !== shardId) return { ok: false, reason: `blob ${keyHex} belongs to shard ${owner}` };
    if (b.inclusion.blobIndex !== b.inclusion.proof.index) {
      return { ok: false, reason: `blob ${keyHex}: inclusion index mismatch` };
    }
    const check = verifyBlobCertificate(
      certificate,
      b.inclusion.proof,
      { blobKey: key, k: b.header.k },
      epoch,
      { skipSignatureCheck: signatureChecked },
    );
    if (!check.ok) return { ok: false, reason: `blob ${keyHex}: ${check.code}: ${check.reason}` };
    if (!signatureChecked) verified?.add(certificate);
    signatureChecked = true;
    accepted.push({ blobKey: key, header: b.header, index: b.inclusion.blobIndex });
  }
  return { ok: true, blobs: accepted };
}
