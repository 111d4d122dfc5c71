/* Batch Merkle hashing. A square's commitment is ~3 * (2k)^2 SHA-256 calls; from JavaScript each
 * node:crypto call costs ~0.6 us of overhead, more than hashing 65 bytes takes. Here the calls go
 * straight to the OpenSSL that Node links (SHA-NI accelerated), with the same domain separation
 * as src/merkle.ts: leaves H(0x00 || data), inner nodes H(0x01 || left || right). */
#include "merkleHash.h"

#include <openssl/sha.h>

#include "sha256Ni.h"

/* Where the CPU has the SHA extensions, sha256Ni.c hashes several messages at once and is ~2-3x
 * faster than OpenSSL's one-message-at-a-time SHA-NI code; otherwise OpenSSL is used. */

void merkle_hash_leaves(const uint8_t *buf, const int32_t *offsets, size_t count, size_t len, uint8_t *out) {
  if (sha256ni_available()) {
    sha256ni_prefixed_many(0x00, buf, offsets, 0, count, len, out);
    return;
  }
  static const uint8_t prefix = 0x00;
  SHA256_CTX ctx;
  for (size_t i = 0; i < count; i++) {
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, &prefix, 1);
    SHA256_Update(&ctx, buf + offsets[i], len);
    SHA256_Final(out + 32 * i, &ctx);
  }
}

void merkle_hash_nodes(const uint8_t *in, size_t count, uint8_t *out) {
  if (sha256ni_available()) {
    sha256ni_prefixed_many(0x01, in, NULL, 64, count, 64, out);
    return;
  }
  /* The low-level API: OpenSSL 3's one-shot SHA256() goes through EVP and costs more than the
   * two compression blocks of a node. */
  static const uint8_t prefix = 0x01;
  SHA256_CTX ctx;
  for (size_t i = 0; i < count; i++) {
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, &prefix, 1);
    SHA256_Update(&ctx, in + 64 * i, 64);
    SHA256_Final(out + 32 * i, &ctx);
  }
}
