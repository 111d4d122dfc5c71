/* Multi-buffer SHA-256 with the x86 SHA extensions (SHA-NI).
 *
 * Why: SHA256RNDS2 performs two rounds but has a latency of several cycles, and each round of
 * SHA-256 depends on the previous one, so hashing one message at a time (as OpenSSL does) leaves
 * the SHA unit idle most of the time. The Merkle tree hashes tens of thousands of independent,
 * equal-length messages per call, so this file runs N of them (LANES) in lock-step: the rounds
 * of different messages are independent and the core overlaps them, raising throughput until
 * the unit's issue rate, not its latency, is the limit.
 *
 * References:
 *  - FIPS 180-4, "Secure Hash Standard", sections 4.2.2 (constants K), 5.1.1 (padding),
 *    5.3.3 (initial hash value) and 6.2.2 (the compression function and message schedule).
 *  - Gulley et al., "Intel SHA Extensions: New Instructions Supporting the Secure Hash
 *    Algorithm on Intel Architecture Processors" (Intel white paper, 2013): the state layout
 *    (ABEF/CDGH), SHA256RNDS2 (two rounds, W+K from the low 64 bits of the third operand) and
 *    the schedule helpers SHA256MSG1/SHA256MSG2.
 *
 * Messages here are prefix || data (the Merkle domain byte, see merkleHash.c), so 64-byte blocks
 * start one byte before a 64-byte boundary of the data: block j >= 1 is data[64j-1 .. 64j+63),
 * and block 0 is the prefix followed by data[0 .. 63). The final one or two blocks (the rest of
 * the data, 0x80, zeros, the 64-bit big-endian bit length) are assembled in a small buffer. */
#include "sha256Ni.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>

/* Messages hashed in lock-step. Measured on AMD EPYC (Zen 4), 1 KiB messages in cache: 1 lane
 * 1.7 GB/s (no better than OpenSSL), 2 lanes 3.2 GB/s, 3 lanes 3.2 GB/s, 4 lanes 3.4 GB/s,
 * about one SHA256RNDS2 every two cycles, i.e. the unit's throughput. (SHA-NI has no VEX form, so
 * only xmm0-15 are usable and 4 lanes spill a little; it is still the fastest.) */
#ifndef SHA256NI_LANES
#define SHA256NI_LANES 4
#endif
#define LANES SHA256NI_LANES

#define SHA_NI_FN __attribute__((target("sha,sse4.1")))
#define SHA_NI_INLINE __attribute__((target("sha,sse4.1"), always_inline)) static inline

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. Aligned so each group of four loads as one XMM register. */
static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* SHA-256 words are big-endian (FIPS 180-4 section 3.1); x86 is little-endian. PSHUFB with this
 * mask reverses the bytes of each 32-bit lane, in both directions. */
SHA_NI_INLINE __m128i bswap32x4(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3));
}

/* One 64-byte block at p as the message words W0..W15, four per register, W[4q] in the low lane
 * (the order SHA256RNDS2 and SHA256MSG1/2 expect). */
SHA_NI_INLINE void load_block(const uint8_t *p, __m128i w[4]) {
  for (int i = 0; i < 4; i++) w[i] = bswap32x4(_mm_loadu_si128((const __m128i *)(p + 16 * i)));
}

/* Block 0 of prefix || data, for len >= 63: the first 16 bytes are the prefix and data[0..15),
 * made by shifting data[0..16) up one byte; the other 48 are data[15..63) loaded directly. Never
 * reads before data or past data[62]. */
SHA_NI_INLINE void load_block0(uint8_t prefix, const uint8_t *data, __m128i w[4]) {
  __m128i first = _mm_slli_si128(_mm_loadu_si128((const __m128i *)data), 1);
  w[0] = bswap32x4(_mm_or_si128(first, _mm_cvtsi32_si128(prefix)));
  for (int i = 1; i < 4; i++) w[i] = bswap32x4(_mm_loadu_si128((const __m128i *)(data + 16 * i - 1)));
}

/* FIPS 180-4 section 6.2.2 for one block of each of n messages. The state is kept in the white
 * paper's layout: abef = (A, B, E, F) and cdgh = (C, D, G, H), A and C in the high lanes.
 *
 * Each iteration q does rounds 4q..4q+3: W+K for four rounds are added at once; SHA256RNDS2
 * consumes the low two (rounds 4q, 4q+1), then the high two are moved down for the next pair.
 * From q = 4 on, the schedule W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] (step 1 of
 * 6.2.2) is computed four words at a time: MSG1 adds s0 to W[t-16..t-13], PALIGNR supplies
 * W[t-7..t-4], and MSG2 adds s1 (which needs words of the same group, hence its own
 * instruction). w[] is a ring: w[q & 3] holds W[4q..4q+3].
 *
 * The lane loop sits inside the round loop so the independent chains of the n messages are
 * interleaved in the instruction stream; both loops unroll fully and w[][] lives in registers. */
SHA_NI_INLINE void compress(int n, __m128i abef[], __m128i cdgh[], __m128i w[][4]) {
  __m128i abef_in[LANES], cdgh_in[LANES];
  for (int l = 0; l < n; l++) {
    abef_in[l] = abef[l];
    cdgh_in[l] = cdgh[l];
  }
#pragma GCC unroll 16
  for (int q = 0; q < 16; q++) {
    const __m128i k = _mm_load_si128((const __m128i *)&K[4 * q]);
#pragma GCC unroll 4
    for (int l = 0; l < n; l++) {
      if (q >= 4) {
        __m128i t = _mm_sha256msg1_epu32(w[l][q & 3], w[l][(q + 1) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(w[l][(q + 3) & 3], w[l][(q + 2) & 3], 4));
        w[l][q & 3] = _mm_sha256msg2_epu32(t, w[l][(q + 3) & 3]);
      }
      const __m128i wk = _mm_add_epi32(w[l][q & 3], k);
      cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk);
      abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(wk, 0x0E));
    }
  }
  /* Step 4 of 6.2.2: add the block's input state. */
  for (int l = 0; l < n; l++) {
    abef[l] = _mm_add_epi32(abef[l], abef_in[l]);
    cdgh[l] = _mm_add_epi32(cdgh[l], cdgh_in[l]);
  }
}

/* Shape of a message prefix || data[0..len): how many blocks are all message bytes, and the
 * tail (the remaining message bytes plus padding, FIPS 180-4 section 5.1.1) as one or two
 * blocks. tail holds the padding already; per message only the data part is copied in. */
typedef struct {
  size_t full_blocks; /* blocks 0 .. full_blocks-1 come straight from the data */
  size_t tail_blocks; /* 1 or 2 */
  size_t tail_skip;   /* where data starts in the tail: 1 if the tail holds the prefix, else 0 */
  size_t tail_copy;   /* data bytes copied into the tail */
  size_t tail_src;    /* ... starting at this data offset */
} msg_shape;

static msg_shape shape_of(uint8_t prefix, size_t len, uint8_t tail[128]) {
  msg_shape s;
  const uint64_t msg_len = (uint64_t)len + 1; /* bytes, prefix included */
  s.full_blocks = (size_t)(msg_len / 64);
  const size_t rem = (size_t)(msg_len % 64); /* message bytes in the tail, prefix included */
  /* The tail needs room for 0x80 and the 8-byte length after the rem message bytes. */
  s.tail_blocks = rem + 1 + 8 <= 64 ? 1 : 2;
  memset(tail, 0, 128);
  if (s.full_blocks == 0) {
    tail[0] = prefix;
    s.tail_skip = 1;
    s.tail_src = 0;
    s.tail_copy = len;
  } else {
    s.tail_skip = 0;
    s.tail_src = 64 * s.full_blocks - 1;
    s.tail_copy = rem;
  }
  tail[rem] = 0x80;
  const uint64_t bits = msg_len * 8;
  uint8_t *end = tail + 64 * s.tail_blocks;
  for (int i = 1; i <= 8; i++) end[-i] = (uint8_t)(bits >> (8 * (i - 1)));
  return s;
}

/* Hashes LANES messages of the same shape in lock-step. tails[l] are per-lane copies of the
 * padded tail template; only their data bytes are overwritten here. next[] are the next group's
 * messages, prefetched one 64-byte line per lane per block: a 64 MiB square does not fit in
 * cache, and the hardware prefetcher alone left the kernel ~25% slower than on cached data. */
SHA_NI_INLINE void hash_lanes(uint8_t prefix, const uint8_t *const data[LANES], const uint8_t *const next[LANES],
                              const msg_shape *s, uint8_t tails[LANES][128], uint8_t *const out[LANES]) {
  __m128i abef[LANES], cdgh[LANES], w[LANES][4];
  /* FIPS 180-4 section 5.3.3, H(0) in the (A,B,E,F)/(C,D,G,H) layout. */
  for (int l = 0; l < LANES; l++) {
    abef[l] = _mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f, (int)0x9b05688c);
    cdgh[l] = _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
  }
  if (s->full_blocks > 0) {
    for (int l = 0; l < LANES; l++) {
      _mm_prefetch((const char *)next[l], _MM_HINT_T0);
      load_block0(prefix, data[l], w[l]);
    }
    compress(LANES, abef, cdgh, w);
  }
  for (size_t j = 1; j < s->full_blocks; j++) {
    for (int l = 0; l < LANES; l++) {
      _mm_prefetch((const char *)(next[l] + 64 * j), _MM_HINT_T0);
      load_block(data[l] + 64 * j - 1, w[l]);
    }
    compress(LANES, abef, cdgh, w);
  }
  for (int l = 0; l < LANES; l++) memcpy(tails[l] + s->tail_skip, data[l] + s->tail_src, s->tail_copy);
  for (size_t j = 0; j < s->tail_blocks; j++) {
    for (int l = 0; l < LANES; l++) load_block(tails[l] + 64 * j, w[l]);
    compress(LANES, abef, cdgh, w);
  }
  /* Digest = A..H big-endian (FIPS 180-4 section 6.2.2, last step). Reversing the lanes gives
   * (F,E,B,A) -> (A,B,E,F) low to high, likewise (C,D,G,H); the 64-bit halves interleave to
   * (A,B,C,D) and (E,F,G,H). */
  for (int l = 0; l < LANES; l++) {
    const __m128i ab_ef = _mm_shuffle_epi32(abef[l], 0x1B);
    const __m128i cd_gh = _mm_shuffle_epi32(cdgh[l], 0x1B);
    _mm_storeu_si128((__m128i *)out[l], bswap32x4(_mm_unpacklo_epi64(ab_ef, cd_gh)));
    _mm_storeu_si128((__m128i *)(out[l] + 16), bswap32x4(_mm_unpackhi_epi64(ab_ef, cd_gh)));
  }
}

SHA_NI_FN void sha256ni_prefixed_many(uint8_t prefix, const uint8_t *base, const int32_t *offsets, size_t stride,
                                      size_t count, size_t len, uint8_t *out) {
  uint8_t tail[128];
  const msg_shape s = shape_of(prefix, len, tail);
  uint8_t tails[LANES][128];
  for (int l = 0; l < LANES; l++) memcpy(tails[l], tail, sizeof tail);
  uint8_t scratch[32];
  for (size_t i = 0; i < count; i += LANES) {
    const uint8_t *data[LANES], *next[LANES];
    uint8_t *dst[LANES];
    for (int l = 0; l < LANES; l++) {
      /* A short final group repeats its last message in the spare lanes and drops their
       * digests: the lanes run in parallel, so this costs about the same as hashing it alone. */
      const size_t m = i + (size_t)l < count ? i + (size_t)l : count - 1;
      data[l] = base + (offsets ? (ptrdiff_t)offsets[m] : (ptrdiff_t)(m * stride));
      dst[l] = i + (size_t)l < count ? out + 32 * m : scratch;
      const size_t mn = i + LANES + (size_t)l < count ? i + LANES + (size_t)l : count - 1;
      next[l] = base + (offsets ? (ptrdiff_t)offsets[mn] : (ptrdiff_t)(mn * stride));
    }
    hash_lanes(prefix, data, next, &s, tails, dst);
  }
}

int sha256ni_available(void) {
  /* 0 = not yet checked, 1 = no, 2 = yes. Relaxed is enough: every thread computes the same. */
  static atomic_int cached = 0;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v == 0) {
    /* CPUID leaf 7 subleaf 0 EBX bit 29 = SHA; leaf 1 ECX bit 19 = SSE4.1, bit 9 = SSSE3
     * (Intel SDM vol. 2A, CPUID). Read directly: GCC 12's __builtin_cpu_supports("sha")
     * compiles but reports 0 on this AMD CPU, which has the extensions. */
    unsigned a, b, c, d;
    int ok = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9));
    ok = ok && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
    v = ok ? 2 : 1;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v == 2;
}

#else /* not x86-64: no SHA-NI kernels, callers use OpenSSL */

int sha256ni_available(void) { return 0; }

void sha256ni_prefixed_many(uint8_t prefix, const uint8_t *base, const int32_t *offsets, size_t stride,
                            size_t count, size_t len, uint8_t *out) {
  (void)prefix, (void)base, (void)offsets, (void)stride, (void)count, (void)len, (void)out;
}

#endif
