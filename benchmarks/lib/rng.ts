/** Small deterministic helpers so a benchmark's erasure patterns and samples are reproducible. */
import { randomFillSync } from "node:crypto";

/** mulberry32: a 32-bit seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
export function randomInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** `count` distinct indices out of [0, n), by partial Fisher-Yates. */
export function sampleIndices(rand: () => number, n: number, count: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(rand, n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, count);
}

/** Cryptographically random bytes (incompressible payload; content does not affect the codec). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 1 << 24) randomFillSync(out, off, Math.min(1 << 24, n - off));
  return out;
}
