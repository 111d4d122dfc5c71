/* GF(2^8) matrix-times-vectors kernels with runtime CPU dispatch.
 *
 * The Reed-Solomon codec reduces both encoding and rebuilding to one primitive: each output
 * cell is a GF(2^8) linear combination of input cells. Three implementations compute it:
 *  - GFNI + AVX-512: multiplication by a constant is a linear map over GF(2), so it is one
 *    VGF2P8AFFINEQB per 64 bytes with an 8x8 bit matrix per coefficient (any polynomial works).
 *  - AVX2: the split-nibble table method (two PSHUFB lookups per 32 bytes), as in Intel ISA-L
 *    and Plank, Greenan, Miller, "Screaming Fast Galois Field Arithmetic Using Intel SIMD
 *    Instructions" (FAST 2013).
 *  - scalar: one 256-entry product table per coefficient; runs on any CPU.
 * Outputs are produced in groups so each input vector is loaded once per group. */
#include "gfKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GF_X86 1
#endif

#define POLY 0x11D
#define GROUP 8
/* Bytes of every input processed before moving on: with 128 inputs the block's working set
 * (128 KiB) stays in L2 while all output groups pass over it. */
#define BLOCK 1024

static uint8_t gf_exp[512];
static uint8_t gf_log[256];
static uint8_t gf_mul_table[256][256];
static uint64_t gf_affine[256];
static uint8_t gf_nibble_lo[256][16];
static uint8_t gf_nibble_hi[256][16];
static int gf_ready = 0;
static gf_kernel_kind gf_forced = (gf_kernel_kind)-1;

static uint8_t gf_mul_slow(uint8_t a, uint8_t b) {
  if (a == 0 || b == 0) return 0;
  return gf_exp[gf_log[a] + gf_log[b]];
}

uint8_t gf_mul(uint8_t a, uint8_t b) { return gf_mul_table[a][b]; }

uint8_t gf_inv(uint8_t a) { return a == 0 ? 0 : gf_exp[255 - gf_log[a]]; }

void gf_init(void) {
  if (gf_ready) return;
  unsigned x = 1;
  for (int i = 0; i < 255; i++) {
    gf_exp[i] = (uint8_t)x;
    gf_log[x] = (uint8_t)i;
    x <<= 1;
    if (x & 0x100) x ^= POLY;
  }
  for (int i = 255; i < 512; i++) gf_exp[i] = gf_exp[i - 255];
  for (int a = 0; a < 256; a++) {
    for (int b = 0; b < 256; b++) gf_mul_table[a][b] = gf_mul_slow((uint8_t)a, (uint8_t)b);
    for (int n = 0; n < 16; n++) {
      gf_nibble_lo[a][n] = gf_mul_table[a][n];
      gf_nibble_hi[a][n] = gf_mul_table[a][n << 4];
    }
    /* Bit matrix of y = a*x: output bit i is the parity of (row_i AND x), where row_i has bit j
     * set when bit i of a*2^j is set. VGF2P8AFFINEQB reads row_i from byte 7-i of the qword. */
    uint64_t m = 0;
    for (int i = 0; i < 8; i++) {
      uint8_t row = 0;
      for (int j = 0; j < 8; j++) {
        if ((gf_mul_table[a][1 << j] >> i) & 1) row |= (uint8_t)(1 << j);
      }
      m |= (uint64_t)row << (8 * (7 - i));
    }
    gf_affine[a] = m;
  }
  gf_ready = 1;
}

static int cpu_has_gfni(void) {
#ifdef GF_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("gfni") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw");
#else
  return 0;
#endif
}

static int cpu_has_avx2(void) {
#ifdef GF_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

static gf_kernel_kind best_kernel(void) {
  static int best = -1;
  if (best < 0) best = cpu_has_gfni() ? GF_KERNEL_GFNI : cpu_has_avx2() ? GF_KERNEL_AVX2 : GF_KERNEL_SCALAR;
  return (gf_kernel_kind)best;
}

gf_kernel_kind gf_active_kernel(void) {
  return (int)gf_forced >= 0 ? gf_forced : best_kernel();
}

int gf_force_kernel(gf_kernel_kind kind) {
  if (kind == GF_KERNEL_GFNI && !cpu_has_gfni()) return 0;
  if (kind == GF_KERNEL_AVX2 && !cpu_has_avx2()) return 0;
  gf_forced = kind;
  return 1;
}

const char *gf_kernel_name(gf_kernel_kind kind) {
  switch (kind) {
    case GF_KERNEL_GFNI: return "gfni-avx512";
    case GF_KERNEL_AVX2: return "avx2";
    default: return "scalar";
  }
}

static void matmul_scalar(const uint8_t *coefs, size_t out_count, size_t in_count, uint8_t *buf,
                          const int32_t *in_off, const int32_t *out_off, size_t len) {
  for (size_t m = 0; m < out_count; m++) {
    uint8_t *out = buf + out_off[m];
    memset(out, 0, len);
    for (size_t i = 0; i < in_count; i++) {
      uint8_t c = coefs[m * in_count + i];
      if (c == 0) continue;
      const uint8_t *in = buf + in_off[i];
      const uint8_t *t = gf_mul_table[c];
      for (size_t b = 0; b < len; b++) out[b] ^= t[in[b]];
    }
  }
}

#ifdef GF_X86
__attribute__((target("avx2"))) static void matmul_avx2(const uint8_t *coefs, size_t out_count,
                                                         size_t in_count, uint8_t *buf,
                                                         const int32_t *in_off,
                                                         const int32_t *out_off, size_t len) {
  const __m256i mask = _mm256_set1_epi8(0x0f);
  for (size_t p0 = 0; p0 < len; p0 += BLOCK) {
  size_t pend = p0 + BLOCK < len ? p0 + BLOCK : len;
  for (size_t m0 = 0; m0 < out_count; m0 += GROUP) {
    size_t g = out_count - m0 < GROUP ? out_count - m0 : GROUP;
    for (size_t p = p0; p < pend; p += 32) {
      __m256i acc[GROUP];
      for (size_t b = 0; b < g; b++) acc[b] = _mm256_setzero_si256();
      for (size_t i = 0; i < in_count; i++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(buf + in_off[i] + p));
        __m256i lo = _mm256_and_si256(x, mask);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi64(x, 4), mask);
        for (size_t b = 0; b < g; b++) {
          uint8_t c = coefs[(m0 + b) * in_count + i];
          __m256i tlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gf_nibble_lo[c]));
          __m256i thi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gf_nibble_hi[c]));
          acc[b] = _mm256_xor_si256(acc[b], _mm256_xor_si256(_mm256_shuffle_epi8(tlo, lo),
                                                             _mm256_shuffle_epi8(thi, hi)));
        }
      }
      for (size_t b = 0; b < g; b++) _mm256_storeu_si256((__m256i *)(buf + out_off[m0 + b] + p), acc[b]);
    }
  }
  }
}

__attribute__((target("avx512f,avx512bw,gfni"))) static void matmul_gfni(
    const uint8_t *coefs, size_t out_count, size_t in_count, uint8_t *buf, const int32_t *in_off,
    const int32_t *out_off, size_t len) {
  for (size_t p0 = 0; p0 < len; p0 += BLOCK) {
  size_t pend = p0 + BLOCK < len ? p0 + BLOCK : len;
  for (size_t m0 = 0; m0 < out_count; m0 += GROUP) {
    size_t g = out_count - m0 < GROUP ? out_count - m0 : GROUP;
    /* Two 64-byte columns per pass halves the matrix broadcasts per byte. */
    size_t p = p0;
    for (; p + 128 <= pend; p += 128) {
      __m512i acc0[GROUP], acc1[GROUP];
      for (size_t b = 0; b < g; b++) {
        acc0[b] = _mm512_setzero_si512();
        acc1[b] = _mm512_setzero_si512();
      }
      for (size_t i = 0; i < in_count; i++) {
        const uint8_t *src = buf + in_off[i] + p;
        __m512i x0 = _mm512_loadu_si512((const void *)src);
        __m512i x1 = _mm512_loadu_si512((const void *)(src + 64));
        for (size_t b = 0; b < g; b++) {
          __m512i a = _mm512_set1_epi64((long long)gf_affine[coefs[(m0 + b) * in_count + i]]);
          acc0[b] = _mm512_xor_si512(acc0[b], _mm512_gf2p8affine_epi64_epi8(x0, a, 0));
          acc1[b] = _mm512_xor_si512(acc1[b], _mm512_gf2p8affine_epi64_epi8(x1, a, 0));
        }
      }
      for (size_t b = 0; b < g; b++) {
        uint8_t *dst = buf + out_off[m0 + b] + p;
        _mm512_storeu_si512((void *)dst, acc0[b]);
        _mm512_storeu_si512((void *)(dst + 64), acc1[b]);
      }
    }
    for (; p < pend; p += 64) {
      __m512i acc[GROUP];
      for (size_t b = 0; b < g; b++) acc[b] = _mm512_setzero_si512();
      for (size_t i = 0; i < in_count; i++) {
        __m512i x = _mm512_loadu_si512((const void *)(buf + in_off[i] + p));
        for (size_t b = 0; b < g; b++) {
          __m512i a = _mm512_set1_epi64((long long)gf_affine[coefs[(m0 + b) * in_count + i]]);
          acc[b] = _mm512_xor_si512(acc[b], _mm512_gf2p8affine_epi64_epi8(x, a, 0));
        }
      }
      for (size_t b = 0; b < g; b++) _mm512_storeu_si512((void *)(buf + out_off[m0 + b] + p), acc[b]);
    }
  }
  }
}
#endif

void gf_matmul(const uint8_t *coefs, size_t out_count, size_t in_count, uint8_t *buf,
               const int32_t *in_offsets, const int32_t *out_offsets, size_t len) {
  gf_init();
  switch (gf_active_kernel()) {
#ifdef GF_X86
    case GF_KERNEL_GFNI:
      matmul_gfni(coefs, out_count, in_count, buf, in_offsets, out_offsets, len);
      return;
    case GF_KERNEL_AVX2:
      matmul_avx2(coefs, out_count, in_count, buf, in_offsets, out_offsets, len);
      return;
#endif
    default:
      matmul_scalar(coefs, out_count, in_count, buf, in_offsets, out_offsets, len);
  }
}

/* ---- butterflies for the additive FFT (rsFft.c) ---- */

static void xor_into(uint8_t *dst, const uint8_t *src, size_t n) {
  for (size_t b = 0; b < n; b++) dst[b] ^= src[b];
}

static void muladd_scalar(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n) {
  const uint8_t *t = gf_mul_table[c];
  for (size_t b = 0; b < n; b++) dst[b] ^= t[src[b]];
}

#ifdef GF_X86
__attribute__((target("avx512f,avx512bw,gfni"))) static void fft_gfni(uint8_t *x, uint8_t *y, uint8_t c,
                                                                      size_t n, int inverse) {
  __m512i a = _mm512_set1_epi64((long long)gf_affine[c]);
  for (size_t p = 0; p < n; p += 64) {
    __m512i vx = _mm512_loadu_si512((const void *)(x + p));
    __m512i vy = _mm512_loadu_si512((const void *)(y + p));
    if (inverse) {
      vy = _mm512_xor_si512(vy, vx);
      vx = _mm512_xor_si512(vx, _mm512_gf2p8affine_epi64_epi8(vy, a, 0));
    } else {
      vx = _mm512_xor_si512(vx, _mm512_gf2p8affine_epi64_epi8(vy, a, 0));
      vy = _mm512_xor_si512(vy, vx);
    }
    _mm512_storeu_si512((void *)(x + p), vx);
    _mm512_storeu_si512((void *)(y + p), vy);
  }
}

__attribute__((target("avx2"))) static void fft_avx2(uint8_t *x, uint8_t *y, uint8_t c, size_t n, int inverse) {
  const __m256i mask = _mm256_set1_epi8(0x0f);
  const __m256i tlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gf_nibble_lo[c]));
  const __m256i thi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gf_nibble_hi[c]));
  for (size_t p = 0; p < n; p += 32) {
    __m256i vx = _mm256_loadu_si256((const __m256i *)(x + p));
    __m256i vy = _mm256_loadu_si256((const __m256i *)(y + p));
    if (inverse) vy = _mm256_xor_si256(vy, vx);
    __m256i lo = _mm256_and_si256(vy, mask);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi64(vy, 4), mask);
    __m256i prod = _mm256_xor_si256(_mm256_shuffle_epi8(tlo, lo), _mm256_shuffle_epi8(thi, hi));
    vx = _mm256_xor_si256(vx, prod);
    if (!inverse) vy = _mm256_xor_si256(vy, vx);
    _mm256_storeu_si256((__m256i *)(x + p), vx);
    _mm256_storeu_si256((__m256i *)(y + p), vy);
  }
}
#endif

static void butterfly(uint8_t *x, uint8_t *y, uint8_t c, size_t n, int inverse) {
  if (c == 0) {
    /* What_j vanishes at the subspace's own points: the butterfly is a plain XOR. */
    xor_into(y, x, n);
    return;
  }
  switch (gf_active_kernel()) {
#ifdef GF_X86
    case GF_KERNEL_GFNI: fft_gfni(x, y, c, n, inverse); return;
    case GF_KERNEL_AVX2: fft_avx2(x, y, c, n, inverse); return;
#endif
    default:
      if (inverse) {
        xor_into(y, x, n);
        muladd_scalar(x, y, c, n);
      } else {
        muladd_scalar(x, y, c, n);
        xor_into(y, x, n);
      }
  }
}

void gf_fft_butterfly(uint8_t *x, uint8_t *y, uint8_t c, size_t n) { butterfly(x, y, c, n, 0); }
void gf_ifft_butterfly(uint8_t *x, uint8_t *y, uint8_t c, size_t n) { butterfly(x, y, c, n, 1); }
