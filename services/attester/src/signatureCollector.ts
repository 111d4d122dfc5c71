/**
 * Gathers storage-shard signatures over one batch header and decides when they make a
 * certificate (pure).
 *
 * Verification is optimistic: signatures are kept unchecked until their signers' weight reaches
 * the threshold, and then the certificate built from them is verified once, as a whole (one
 * aggregate pairing check). Only if that fails is each unchecked signature verified on its own
 * (`verifyBatchSignature`) and the bad ones dropped, so a bad shard costs a few extra checks but
 * can never spoil a certificate. With honest shards this is one BLS verification per batch
 * instead of one per signer plus one for the aggregate: at one blob per batch (16 MiB blobs)
 * that was most of the attester's CPU.
 */
import {
  type BatchHeader,
  buildCertificate,
  type Certificate,
  type CertificateCheck,
  type CertifiedBlob,
  type EpochMembership,
  verifyBatchSignature,
  verifyCertificate,
} from "@tributary/protocol";

export type OfferResult = "accepted" | "duplicate";

export type CertificateAttempt = {
  /** The verified certificate, once the signatures make one. */
  readonly certificate: Certificate | undefined;
  /** Shards whose signatures failed verification in this attempt (dropped; ask them again). */
  readonly invalid: readonly number[];
};

export class SignatureCollector {
  private readonly epoch: EpochMembership;
  private readonly header: BatchHeader;
  private readonly blobs: readonly CertifiedBlob[];
  /** Every signature held, by shard index; `verified` says which were checked on their own. */
  private readonly signatures = new Map<number, Uint8Array>();
  private readonly verified = new Set<number>();
  private lastCheck: CertificateCheck | undefined;

  constructor(epoch: EpochMembership, header: BatchHeader, blobs: readonly CertifiedBlob[]) {
    this.epoch = epoch;
    this.header = header;
    this.blobs = blobs;
  }

  /** Records shard `shardIndex`'s signature, unchecked until `tryCertificate`. */
  offer(shardIndex: number, signature: Uint8Array): OfferResult {
    if (this.signatures.has(shardIndex)) return "duplicate";
    this.signatures.set(shardIndex, signature);
    return "accepted";
  }

  has(shardIndex: number): boolean {
    return this.signatures.has(shardIndex);
  }

  get signerCount(): number {
    return this.signatures.size;
  }

  /** Indices of the epoch's storage shards that have not signed yet. */
  missing(): number[] {
    return this.epoch.storageShards.map((_, i) => i).filter((i) => !this.signatures.has(i));
  }

  /** Why the current signers do not make a certificate yet (undefined before any attempt). */
  get lastFailure(): CertificateCheck | undefined {
    return this.lastCheck;
  }

  /** The certificate, if the signatures gathered so far meet the epoch's threshold. */
  tryCertificate(): CertificateAttempt {
    const first = this.attempt();
    if (first !== "bad_signature") return { certificate: first, invalid: [] };
    // Some signature is bad: check each unchecked one alone, drop the bad, try once more.
    const invalid: number[] = [];
    for (const [i, signature] of this.signatures) {
      if (this.verified.has(i)) continue;
      if (verifyBatchSignature(this.epoch, i, this.header, signature)) {
        this.verified.add(i);
      } else {
        this.signatures.delete(i);
        invalid.push(i);
      }
    }
    const second = this.attempt();
    return { certificate: second === "bad_signature" ? undefined : second, invalid };
  }

  private attempt(): Certificate | undefined | "bad_signature" {
    if (this.signatures.size === 0) return undefined;
    // Cheapest check first: no aggregation while the signers' weight is below 2/3.
    let total = 0;
    let signed = 0;
    this.epoch.storageShards.forEach((s, i) => {
      total += s.weight;
      if (this.signatures.has(i)) signed += s.weight;
    });
    if (signed * 3 < total * 2) return undefined;
    let cert: Certificate;
    try {
      cert = buildCertificate(this.header, this.epoch, this.signatures);
    } catch {
      // A signature that is not even a curve point cannot be aggregated.
      return "bad_signature";
    }
    // Threshold and coverage first (no pairing).
    const threshold = verifyCertificate(cert, this.epoch, this.blobs, { skipSignatureCheck: true });
    this.lastCheck = threshold;
    if (!threshold.ok) return undefined;
    const full = verifyCertificate(cert, this.epoch, this.blobs);
    this.lastCheck = full;
    if (full.ok) {
      for (const i of this.signatures.keys()) this.verified.add(i);
      return cert;
    }
    return "bad_signature";
  }
}
