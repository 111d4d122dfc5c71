/**
 * Gathers storage-shard signatures over one batch header and decides when they make a
 * certificate (pure). Each signature is checked on arrival (`verifyBatchSignature`), so one bad
 * shard can never spoil the aggregate; the certificate is built once `verifyCertificate` passes
 * for the signer set (weight >= 2/3 and column coverage of every blob), and verified in full
 * (pairing included) before it is handed out.
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

export type OfferResult = "accepted" | "duplicate" | "invalid";

export class SignatureCollector {
  private readonly epoch: EpochMembership;
  private readonly header: BatchHeader;
  private readonly blobs: readonly CertifiedBlob[];
  private readonly signatures = new Map<number, Uint8Array>();
  private lastCheck: CertificateCheck | undefined;

  constructor(epoch: EpochMembership, header: BatchHeader, blobs: readonly CertifiedBlob[]) {
    this.epoch = epoch;
    this.header = header;
    this.blobs = blobs;
  }

  /** Records shard `shardIndex`'s signature if it verifies. */
  offer(shardIndex: number, signature: Uint8Array): OfferResult {
    if (this.signatures.has(shardIndex)) return "duplicate";
    if (!verifyBatchSignature(this.epoch, shardIndex, this.header, signature)) return "invalid";
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
  tryCertificate(): Certificate | undefined {
    if (this.signatures.size === 0) return undefined;
    // Cheapest check first: no aggregation while the signers' weight is below 2/3.
    let total = 0;
    let signed = 0;
    this.epoch.storageShards.forEach((s, i) => {
      total += s.weight;
      if (this.signatures.has(i)) signed += s.weight;
    });
    if (signed * 3 < total * 2) return undefined;
    const cert = buildCertificate(this.header, this.epoch, this.signatures);
    // Threshold and coverage first (no pairing): every signature was verified on arrival.
    const threshold = verifyCertificate(cert, this.epoch, this.blobs, { skipSignatureCheck: true });
    this.lastCheck = threshold;
    if (!threshold.ok) return undefined;
    const full = verifyCertificate(cert, this.epoch, this.blobs);
    this.lastCheck = full;
    return full.ok ? cert : undefined;
  }
}
