#ifndef TRIBUTARY_RS_FFT_H
#define TRIBUTARY_RS_FFT_H
#include <stddef.h>
#include <stdint.h>
/* Writes the k parity cells (at out_off) of the k data cells (at in_off), len bytes each,
 * len a multiple of 64, k a power of two <= 128. */
void rs_fft_extend(uint8_t *buf, const int32_t *in_off, const int32_t *out_off, size_t k, size_t len);
/* What_j(x), exposed for tests. */
uint8_t rs_skew(int j, int x);
#endif
