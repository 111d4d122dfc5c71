#ifndef TRIBUTARY_MERKLE_HASH_H
#define TRIBUTARY_MERKLE_HASH_H
#include <stddef.h>
#include <stdint.h>
/* out[32*i..] = SHA-256(0x00 || buf[offsets[i] .. offsets[i]+len]) for i < count. */
void merkle_hash_leaves(const uint8_t *buf, const int32_t *offsets, size_t count, size_t len, uint8_t *out);
/* out[32*i..] = SHA-256(0x01 || in[64*i .. 64*i+64]) for i < count. */
void merkle_hash_nodes(const uint8_t *in, size_t count, uint8_t *out);
#endif
