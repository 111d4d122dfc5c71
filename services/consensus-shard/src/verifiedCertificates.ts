/**
 * The certificates whose aggregate signature this process has already verified, so that one
 * certificate costs one pairing check per process rather than one per step: the gRPC intake,
 * the leader's proposer and this process's validator all run `checkCertifiedBlobs` on it. The
 * cheap checks (threshold, coverage, inclusion proofs, ownership) still run every time; only the
 * pairing is skipped, and only for the exact bytes it was run on (batch signing message, signer
 * bitmap, aggregate signature). Nothing from outside the process can put an entry here.
 */
import { createHash } from "node:crypto";
import { batchSigningMessage, type Certificate } from "@tributary/protocol";

export class VerifiedCertificates {
  readonly #capacity: number;
  /** Insertion order is eviction order. */
  readonly #keys = new Set<string>();

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  has(certificate: Certificate): boolean {
    return this.#keys.has(keyOf(certificate));
  }

  add(certificate: Certificate): void {
    const key = keyOf(certificate);
    this.#keys.delete(key);
    this.#keys.add(key);
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.values().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
  }

  get size(): number {
    return this.#keys.size;
  }
}

function keyOf(certificate: Certificate): string {
  const h = createHash("sha256");
  const message = batchSigningMessage(certificate.batchHeader);
  // Length prefixes keep the three variable-length parts from running into each other.
  for (const part of [message, certificate.signerBitmap, certificate.aggregateSignature]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    h.update(length).update(part);
  }
  return h.digest("hex");
}
