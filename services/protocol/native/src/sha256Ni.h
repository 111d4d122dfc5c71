#ifndef TRIBUTARY_SHA256_NI_H
#define TRIBUTARY_SHA256_NI_H
#include <stddef.h>
#include <stdint.h>
/* Nonzero when this build has the SHA-NI kernels and the CPU can run them (x86-64 with the SHA
 * extensions and SSE4.1). The answer is computed once and cached. */
int sha256ni_available(void);
/* out[32*i..] = SHA-256(prefix || base[o_i .. o_i+len]) for i < count, where o_i = offsets[i], or
 * i*stride when offsets is NULL. Every message has the same length, so several are hashed in
 * lock-step. Call only when sha256ni_available() returned nonzero. */
void sha256ni_prefixed_many(uint8_t prefix, const uint8_t *base, const int32_t *offsets, size_t stride,
                            size_t count, size_t len, uint8_t *out);
#endif
