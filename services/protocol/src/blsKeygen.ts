/**
 * BLS12-381 secret-key derivation.
 *
 * - `secretKeyFromSeed` is KeyGen from draft-irtf-cfrg-bls-signature-05 section 2.3, which is
 *   byte-for-byte EIP-2333's `HKDF_mod_r` / `derive_master_SK` (checked against the EIP-2333
 *   test cases in test/vectors/bls/eip2333.json).
 * - `deriveChildSecretKey` is EIP-2333 `derive_child_SK` (hardened tree derivation through a
 *   Lamport public key), for operators that keep one seed per host and derive per-epoch keys.
 *
 * Secret keys are 32-byte big-endian integers in [1, r).
 */
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";

/** Order r of the BLS12-381 prime-order subgroups (and of the scalar field). */
export const BLS_CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
export const BLS_SECRET_KEY_BYTES = 32;
/** KeyGen requires IKM of at least 32 bytes (draft-irtf-cfrg-bls-signature-05 section 2.3). */
export const BLS_MIN_SEED_BYTES = 32;

const KEYGEN_SALT = new TextEncoder().encode("BLS-SIG-KEYGEN-SALT-");
/** L = ceil((3 * ceil(log2(r))) / 16) = 48. */
const KEYGEN_L = 48;

/**
 * IETF KeyGen(IKM, key_info): derives a secret key from at least 32 bytes of secret seed.
 * draft-irtf-cfrg-bls-signature-05 section 2.3 = EIP-2333 HKDF_mod_r.
 */
export function secretKeyFromSeed(seed: Uint8Array, keyInfo: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length < BLS_MIN_SEED_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "BLS key seed must be at least 32 bytes", {
      length: seed instanceof Uint8Array ? seed.length : undefined,
    });
  }
  const ikm = new Uint8Array(seed.length + 1); // IKM || I2OSP(0, 1)
  ikm.set(seed);
  const info = new Uint8Array(keyInfo.length + 2); // key_info || I2OSP(L, 2)
  info.set(keyInfo);
  info[keyInfo.length] = (KEYGEN_L >> 8) & 0xff;
  info[keyInfo.length + 1] = KEYGEN_L & 0xff;
  let salt: Uint8Array = KEYGEN_SALT;
  for (;;) {
    salt = sha256(salt);
    const prk = extract(sha256, ikm, salt);
    const okm = expand(sha256, prk, info, KEYGEN_L);
    const sk = bytesToBigInt(okm) % BLS_CURVE_ORDER;
    if (sk !== 0n) return bigIntToBytes32(sk);
  }
}

/** EIP-2333 derive_child_SK(parent_SK, index): hardened child key via a Lamport public key. */
export function deriveChildSecretKey(parentSecretKey: Uint8Array, index: number): Uint8Array {
  assertSecretKey(parentSecretKey);
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "child index must be an integer in [0, 2^32)", {
      index,
    });
  }
  const salt = new Uint8Array(4);
  new DataView(salt.buffer).setUint32(0, index, false);
  const notIkm = parentSecretKey.map((b) => ~b & 0xff);
  const lamportPk = new Uint8Array(2 * 255 * 32);
  let offset = 0;
  for (const ikm of [parentSecretKey, notIkm]) {
    const okm = expand(sha256, extract(sha256, ikm, salt), new Uint8Array(0), 255 * 32);
    for (let i = 0; i < 255; i++) {
      lamportPk.set(sha256(okm.subarray(i * 32, (i + 1) * 32)), offset);
      offset += 32;
    }
  }
  return secretKeyFromSeed(sha256(lamportPk));
}

/** Throws unless `sk` is a 32-byte big-endian integer in [1, r). */
export function assertSecretKey(sk: Uint8Array): void {
  if (!(sk instanceof Uint8Array) || sk.length !== BLS_SECRET_KEY_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "BLS secret key must be 32 bytes");
  }
  const v = bytesToBigInt(sk);
  if (v === 0n || v >= BLS_CURVE_ORDER) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "BLS secret key out of range [1, r)");
  }
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function bigIntToBytes32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
