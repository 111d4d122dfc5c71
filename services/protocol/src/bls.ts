/**
 * BLS signatures over BLS12-381, "minimal-pubkey-size" variant with the proof-of-possession
 * scheme of draft-irtf-cfrg-bls-signature-05 (section 4.2.3, ciphersuite
 * BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_): 48-byte compressed G1 public keys, 96-byte
 * compressed G2 signatures, messages hashed to G2 with RFC 9380 hash_to_curve
 * (BLS12381G2_XMD:SHA-256_SSWU_RO_). This is the ciphersuite Ethereum's consensus layer uses, so
 * the ethereum/bls12-381-tests vectors apply unchanged.
 *
 * Rogue-key defence: FastAggregateVerify is only sound when every aggregated key has a verified
 * proof of possession. `validateEpoch` checks the PoP of every key registered in an epoch; only
 * keys from a validated epoch may be passed to `fastAggregateVerify`.
 *
 * Error policy: `verify*` functions return false on any malformed input and never throw;
 * encoders/decoders/aggregators throw ProtocolError (never a raw library error).
 *
 * Curve arithmetic is @noble/curves (audited, constant-time where it matters for signing).
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { assertSecretKey } from "./blsKeygen.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";

/** Signature DST (draft-irtf-cfrg-bls-signature-05 section 4.2.3). */
export const BLS_SIGNATURE_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/** Proof-of-possession DST (draft-irtf-cfrg-bls-signature-05 section 4.2.3). */
export const BLS_POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
export const BLS_PUBLIC_KEY_BYTES = 48;
export const BLS_SIGNATURE_BYTES = 96;
/** Default bound of the decoded public-key cache (entries; one G1 point is ~0.5 KiB). */
export const DEFAULT_PUBLIC_KEY_CACHE_CAPACITY = 4096;

const sigs = bls12_381.longSignatures;
const G1 = bls12_381.G1.Point;
type G1Point = typeof G1.BASE;
type G2Point = ReturnType<typeof sigs.hash>;

// ---------------------------------------------------------------------------------------------
// Decoding (with a bounded LRU for public keys: decompression + subgroup check cost ~1-2 ms)
// ---------------------------------------------------------------------------------------------

const pkCache = new Map<string, G1Point>();
let pkCacheCapacity = DEFAULT_PUBLIC_KEY_CACHE_CAPACITY;
let pkCacheHits = 0;
let pkCacheMisses = 0;

/** Sets the bound of the decoded public-key LRU (0 disables caching). Evicts if shrinking. */
export function setPublicKeyCacheCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 0) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidParams,
      "cache capacity must be a non-negative integer",
      {
        capacity,
      },
    );
  }
  pkCacheCapacity = capacity;
  evict();
}

export function clearPublicKeyCache(): void {
  pkCache.clear();
  pkCacheHits = 0;
  pkCacheMisses = 0;
}

export function getPublicKeyCacheStats(): { size: number; capacity: number; hits: number; misses: number } {
  return { size: pkCache.size, capacity: pkCacheCapacity, hits: pkCacheHits, misses: pkCacheMisses };
}

function evict(): void {
  while (pkCache.size > pkCacheCapacity) {
    const oldest = pkCache.keys().next();
    if (oldest.done) break;
    pkCache.delete(oldest.value);
  }
}

/**
 * Decodes a 48-byte compressed G1 public key and runs KeyValidate (draft section 2.5): the point
 * must be on the curve, in the prime-order subgroup and not the identity. Throws ProtocolError
 * (invalidKey). Results are memoised in a bounded LRU keyed by the 48 key bytes.
 */
export function decodePublicKey(publicKey: Uint8Array): G1Point {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== BLS_PUBLIC_KEY_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "BLS public key must be 48 bytes (compressed G1)", {
      length: publicKey instanceof Uint8Array ? publicKey.length : undefined,
    });
  }
  const key = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("hex");
  const cached = pkCache.get(key);
  if (cached !== undefined) {
    pkCacheHits++;
    pkCache.delete(key); // refresh recency
    pkCache.set(key, cached);
    return cached;
  }
  pkCacheMisses++;
  // Only the compressed form is canonical here (the 0x80 flag must be set).
  if ((publicKey[0]! & 0x80) === 0) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "BLS public key must use the compressed encoding");
  }
  let point: G1Point;
  try {
    point = G1.fromBytes(publicKey); // checks on-curve and subgroup membership
  } catch (cause) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidKey,
      "BLS public key is not a valid G1 point",
      {},
      cause,
    );
  }
  if (point.is0()) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "BLS public key is the identity point");
  }
  if (pkCacheCapacity > 0) {
    pkCache.set(key, point);
    evict();
  }
  return point;
}

/** KeyValidate as a predicate. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  try {
    decodePublicKey(publicKey);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes a 96-byte compressed G2 signature (on curve, in subgroup; draft section 2.8
 * signature_subgroup_check). The identity is decodable (it is the aggregate of nothing) but never
 * verifies. Throws ProtocolError (invalidSignature).
 */
export function decodeSignature(signature: Uint8Array): G2Point {
  if (!(signature instanceof Uint8Array) || signature.length !== BLS_SIGNATURE_BYTES) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidSignature,
      "BLS signature must be 96 bytes (compressed G2)",
      {
        length: signature instanceof Uint8Array ? signature.length : undefined,
      },
    );
  }
  try {
    return sigs.Signature.fromBytes(signature);
  } catch (cause) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidSignature,
      "BLS signature is not a valid G2 point",
      {},
      cause,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Keys, signing, verification
// ---------------------------------------------------------------------------------------------

/** SkToPk: the 48-byte compressed public key of a secret key in [1, r). */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  return sigs.getPublicKey(secretKey).toBytes(true);
}

/** Sign(SK, message) with the POP ciphersuite's signature DST. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  return signWithDst(secretKey, message, BLS_SIGNATURE_DST);
}

function signWithDst(secretKey: Uint8Array, message: Uint8Array, dst: string): Uint8Array {
  if (!(message instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "message must be a Uint8Array");
  }
  return sigs.Signature.toBytes(sigs.sign(sigs.hash(message, dst), secretKey));
}

/** Verify(PK, message, signature). Returns false (never throws) on malformed keys or signatures. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyWithDst(publicKey, message, signature, BLS_SIGNATURE_DST);
}

function verifyWithDst(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  dst: string,
): boolean {
  try {
    const pk = decodePublicKey(publicKey);
    return verifyPoint(pk, message, signature, dst);
  } catch {
    return false;
  }
}

function verifyPoint(pk: G1Point, message: Uint8Array, signature: Uint8Array, dst: string): boolean {
  try {
    if (!(message instanceof Uint8Array)) return false;
    const sig = decodeSignature(signature);
    if (sig.is0() || pk.is0()) return false;
    return sigs.verify(sig, sigs.hash(message, dst), pk);
  } catch {
    return false;
  }
}

/** Aggregate(signatures): the G2 sum, compressed. Throws ProtocolError on empty or malformed input. */
export function aggregateSignatures(signatures: readonly Uint8Array[]): Uint8Array {
  if (signatures.length === 0) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidSignature,
      "cannot aggregate an empty set of signatures",
    );
  }
  let acc = decodeSignature(signatures[0]!);
  for (let i = 1; i < signatures.length; i++) acc = acc.add(decodeSignature(signatures[i]!));
  return acc.is0() ? infinitySignature() : sigs.Signature.toBytes(acc);
}

function infinitySignature(): Uint8Array {
  const out = new Uint8Array(BLS_SIGNATURE_BYTES);
  out[0] = 0xc0;
  return out;
}

/**
 * Sum of public keys, compressed. Every input must pass KeyValidate, and so must the sum (an
 * identity aggregate would verify the identity signature on any message). Throws ProtocolError.
 * NOTE: sound only for keys with verified proofs of possession.
 */
export function aggregatePublicKeys(publicKeys: readonly Uint8Array[]): Uint8Array {
  return aggregatePublicKeyPoints(publicKeys).toBytes(true);
}

function aggregatePublicKeyPoints(publicKeys: readonly Uint8Array[]): G1Point {
  if (publicKeys.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "cannot aggregate an empty set of public keys");
  }
  let acc = decodePublicKey(publicKeys[0]!);
  for (let i = 1; i < publicKeys.length; i++) acc = acc.add(decodePublicKey(publicKeys[i]!));
  if (acc.is0())
    throw new ProtocolError(ProtocolErrorCode.invalidKey, "aggregate public key is the identity");
  return acc;
}

/**
 * FastAggregateVerify(PK_1..PK_n, message, signature) (draft section 3.3.4): all signers signed
 * the same message. Returns false on an empty key list, any malformed key or signature, or an
 * identity aggregate key. Decoded keys come from the LRU, so a stable signer set costs n point
 * additions + one hash-to-curve + one 2-pairing check.
 *
 * Callers MUST only pass keys whose proof of possession was verified (validateEpoch does this).
 */
export function fastAggregateVerify(
  publicKeys: readonly Uint8Array[],
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  let agg: G1Point;
  try {
    agg = aggregatePublicKeyPoints(publicKeys);
  } catch {
    return false;
  }
  return verifyPoint(agg, message, signature, BLS_SIGNATURE_DST);
}

// ---------------------------------------------------------------------------------------------
// Proof of possession (draft-irtf-cfrg-bls-signature-05 section 3.3.2 / 3.3.3)
// ---------------------------------------------------------------------------------------------

/** PopProve(SK): a signature over the compressed public key with the POP DST. */
export function proveProofOfPossession(secretKey: Uint8Array): Uint8Array {
  const publicKey = publicKeyOf(secretKey);
  return signWithDst(secretKey, publicKey, BLS_POP_DST);
}

/** PopVerify(PK, proof). Returns false (never throws) on malformed input. */
export function verifyProofOfPossession(publicKey: Uint8Array, proof: Uint8Array): boolean {
  return verifyWithDst(publicKey, publicKey, proof, BLS_POP_DST);
}
