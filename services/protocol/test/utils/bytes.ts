import { createHash } from "node:crypto";

/** Deterministic pseudo-random bytes: SHA-256 in counter mode over a seed (for vectors). */
export function seededBytes(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, at = 0; at < length; i++, at += 32) {
    const block = createHash("sha256").update(seed).update(String(i)).digest();
    out.set(block.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}
