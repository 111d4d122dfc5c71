#ifndef TRIBUTARY_GF_KERNELS_H
#define TRIBUTARY_GF_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* GF(2^8) with the primitive polynomial x^8+x^4+x^3+x^2+1 (0x11D), the field the JavaScript
 * codec in src/gf256.ts uses; both must produce identical bytes. */

typedef enum { GF_KERNEL_SCALAR = 0, GF_KERNEL_AVX2 = 1, GF_KERNEL_GFNI = 2 } gf_kernel_kind;

/* Best kernel this CPU runs, unless forced lower by gf_force_kernel. */
gf_kernel_kind gf_active_kernel(void);
/* Forces a kernel (for tests and benchmarks). Returns 0 if the CPU cannot run it. */
int gf_force_kernel(gf_kernel_kind kind);
const char *gf_kernel_name(gf_kernel_kind kind);

/* out[m] = XOR over i of coefs[m * in_count + i] * in[i], byte-wise over len bytes, for every m.
 * Inputs and outputs are given as byte offsets into one buffer; outputs must not overlap inputs.
 * len must be a multiple of 64. */
void gf_matmul(const uint8_t *coefs, size_t out_count, size_t in_count, uint8_t *buf,
               const int32_t *in_offsets, const int32_t *out_offsets, size_t len);

void gf_init(void);
uint8_t gf_mul(uint8_t a, uint8_t b);
uint8_t gf_inv(uint8_t a);
/* x ^= c*y; y ^= x  (forward butterfly), over n bytes, n a multiple of 64. */
void gf_fft_butterfly(uint8_t *x, uint8_t *y, uint8_t c, size_t n);
/* y ^= x; x ^= c*y  (inverse butterfly). */
void gf_ifft_butterfly(uint8_t *x, uint8_t *y, uint8_t c, size_t n);
#endif
