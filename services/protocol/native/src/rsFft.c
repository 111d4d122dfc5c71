/* Reed-Solomon encoding by additive FFT in the novel polynomial basis of Lin, Chung and Han,
 * "Novel Polynomial Basis and Its Application to Reed-Solomon Erasure Codes" (FOCS 2014).
 *
 * With the evaluation points x_i = i (the standard basis 1, 2, 4, ... of GF(2^8) over GF(2)),
 * the data positions 0..k-1 form the subspace V = span{1..k/2} and the parity positions
 * k..2k-1 the coset k + V. Encoding is one inverse transform on V (evaluations -> coefficients
 * in the novel basis) and one forward transform on k + V, k log2 k multiply-adds per symbol
 * lane instead of k^2 for the matrix form. The result is the same codeword as the Lagrange
 * form in src/reedSolomon.ts, which the tests check.
 *
 * The skew factor of a butterfly is What_j(beta) = W_j(beta) / W_j(2^j) where
 * W_j(x) = prod_{a < 2^j} (x + a) vanishes on span{1..2^(j-1)}. */
#include "rsFft.h"

#include <string.h>

#include "gfKernels.h"

static uint8_t skew[8][256];
static int skew_ready = 0;

static void skew_init(void) {
  if (skew_ready) return;
  for (int j = 0; j < 8; j++) {
    uint8_t norm = 1;
    for (int a = 0; a < (1 << j); a++) norm = gf_mul((uint8_t)norm, (uint8_t)((1 << j) ^ a));
    uint8_t inv = gf_inv(norm);
    for (int x = 0; x < 256; x++) {
      uint8_t w = 1;
      for (int a = 0; a < (1 << j); a++) w = gf_mul(w, (uint8_t)(x ^ a));
      skew[j][x] = gf_mul(w, inv);
    }
  }
  skew_ready = 1;
}

uint8_t rs_skew(int j, int x) {
  skew_init();
  return skew[j][x];
}

/* Block size per pass: k vectors of BLOCK bytes stay in L2 through all log2(k) levels. */
#define BLOCK 1024

static int log2_of(size_t n) {
  int l = 0;
  while (((size_t)1 << l) < n) l++;
  return l;
}

void rs_fft_extend(uint8_t *buf, const int32_t *in_off, const int32_t *out_off, size_t k, size_t len) {
  gf_init();
  skew_init();
  uint8_t *v[256];
  for (size_t p0 = 0; p0 < len; p0 += BLOCK) {
    size_t n = len - p0 < BLOCK ? len - p0 : BLOCK;
    for (size_t i = 0; i < k; i++) {
      v[i] = buf + out_off[i] + p0;
      memcpy(v[i], buf + in_off[i] + p0, n);
    }
    /* Inverse transform on V (shift 0): smallest butterflies first. */
    for (size_t half = 1; half < k; half *= 2) {
      int j = log2_of(half);
      for (size_t s = 0; s < k; s += 2 * half) {
        uint8_t c = skew[j][s];
        for (size_t i = 0; i < half; i++) gf_ifft_butterfly(v[s + i], v[s + half + i], c, n);
      }
    }
    /* Forward transform on k + V: largest butterflies first. */
    for (size_t half = k / 2; half >= 1; half /= 2) {
      int j = log2_of(half);
      for (size_t s = 0; s < k; s += 2 * half) {
        uint8_t c = skew[j][(k ^ s) & 0xff];
        for (size_t i = 0; i < half; i++) gf_fft_butterfly(v[s + i], v[s + half + i], c, n);
      }
      if (half == 1) break;
    }
  }
}
