/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and
 * generator 2 — the same field as the native kernels in native/src/gfKernels.c.
 * Addition and subtraction are XOR.
 */
const POLY = 0x11d;

export const GF_EXP = new Uint8Array(512);
export const GF_LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x;
    GF_LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= POLY;
  }
  for (let i = 255; i < 512; i++) GF_EXP[i] = GF_EXP[i - 255]!;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return GF_EXP[GF_LOG[a]! + GF_LOG[b]!]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError("zero has no inverse in GF(2^8)");
  return GF_EXP[255 - GF_LOG[a]!]!;
}

/** 256 x 256 product table, row c holds c * x for every x; built on first use (64 KiB). */
let mulTable: Uint8Array | undefined;
export function gfMulTable(): Uint8Array {
  if (mulTable === undefined) {
    mulTable = new Uint8Array(256 * 256);
    for (let a = 1; a < 256; a++) {
      for (let b = 1; b < 256; b++) mulTable[a * 256 + b] = gfMul(a, b);
    }
  }
  return mulTable;
}

/**
 * Skew factors of the additive FFT (Lin, Chung, Han, FOCS 2014) for the standard basis
 * 1, 2, 4, ...: SKEW[j * 256 + x] = What_j(x) = W_j(x) / W_j(2^j), where
 * W_j(x) = prod_{a < 2^j} (x + a) vanishes exactly on span{1, .., 2^(j-1)} = {0, .., 2^j - 1}.
 */
export const FFT_SKEW = new Uint8Array(8 * 256);
for (let j = 0; j < 8; j++) {
  let norm = 1;
  for (let a = 0; a < 1 << j; a++) norm = gfMul(norm, (1 << j) ^ a);
  const inv = gfInv(norm);
  for (let x = 0; x < 256; x++) {
    let w = 1;
    for (let a = 0; a < 1 << j; a++) w = gfMul(w, x ^ a);
    FFT_SKEW[j * 256 + x] = gfMul(w, inv);
  }
}
