/**
 * Accounts: Ethereum-style secp256k1 keys that sign blob keys (issue #6, disperser.proto
 * AccountAuth).
 *
 * - Address: the last 20 bytes of keccak256 of the uncompressed public key without its 0x04
 *   prefix (Ethereum Yellow Paper, appendix F, equation 284's A(p_r)).
 * - Signature: 65 bytes `r (32) || s (32) || v (1)` over the 32-byte blob key itself (no
 *   prehash, no "\x19Ethereum Signed Message" prefix: the blob key is already a SHA-256 digest),
 *   with v the recovery bit 0 or 1 (y parity of R, as Ethereum's typed transactions' yParity).
 *   27/28 is NOT accepted: one encoding per signature keeps the wire unambiguous.
 * - Only low-s signatures (s <= n/2, EIP-2) are accepted, so a signature is not malleable.
 *
 * `recoverAccount` never throws: any malformed input is simply no account (undefined).
 * Curve arithmetic is @noble/curves (RFC 6979 deterministic nonces when signing).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { ACCOUNT_BYTES } from "./blobHeader.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";

export const ACCOUNT_SECRET_KEY_BYTES = 32;
export const ACCOUNT_SIGNATURE_BYTES = 65;
const DIGEST_BYTES = 32;

/** The 20-byte Ethereum address of an uncompressed (65-byte, 0x04-prefixed) public key. */
function addressOfPublicKey(uncompressed: Uint8Array): Uint8Array {
  return keccak_256(uncompressed.subarray(1)).slice(32 - ACCOUNT_BYTES);
}

function assertSecretKey(secretKey: Uint8Array): void {
  if (
    !(secretKey instanceof Uint8Array) ||
    secretKey.length !== ACCOUNT_SECRET_KEY_BYTES ||
    !secp256k1.utils.isValidSecretKey(secretKey)
  ) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidKey,
      "account secret key must be 32 bytes, a scalar in [1, n)",
    );
  }
}

/** A fresh random account secret key (32 bytes). */
export function newAccountSecretKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

/** The account (20-byte Ethereum address) of a secret key. Throws ProtocolError on a bad key. */
export function accountOf(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  return addressOfPublicKey(secp256k1.getPublicKey(secretKey, false));
}

/** Signs a 32-byte blob key: 65 bytes r || s || v, v in {0, 1}, low s. */
export function signBlobKey(secretKey: Uint8Array, blobKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  if (!(blobKey instanceof Uint8Array) || blobKey.length !== DIGEST_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "blob key must be 32 bytes");
  }
  // noble's "recovered" format is v || r || s; the wire format puts v last, as Ethereum does.
  const vrs = secp256k1.sign(blobKey, secretKey, { prehash: false, lowS: true, format: "recovered" });
  const out = new Uint8Array(ACCOUNT_SIGNATURE_BYTES);
  out.set(vrs.subarray(1), 0);
  out[64] = vrs[0]!;
  return out;
}

/**
 * The account that produced `signature` over `blobKey`, or undefined if the signature is
 * malformed (length, v not 0/1, r or s out of range, high s) or recovers no key. Never throws.
 */
export function recoverAccount(blobKey: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  if (!(blobKey instanceof Uint8Array) || blobKey.length !== DIGEST_BYTES) return undefined;
  if (!(signature instanceof Uint8Array) || signature.length !== ACCOUNT_SIGNATURE_BYTES) return undefined;
  const v = signature[64]!;
  if (v !== 0 && v !== 1) return undefined;
  try {
    const vrs = new Uint8Array(ACCOUNT_SIGNATURE_BYTES);
    vrs[0] = v;
    vrs.set(signature.subarray(0, 64), 1);
    const sig = secp256k1.Signature.fromBytes(vrs, "recovered");
    if (sig.hasHighS() || sig.r === 0n || sig.s === 0n) return undefined;
    return addressOfPublicKey(sig.recoverPublicKey(blobKey).toBytes(false));
  } catch {
    return undefined;
  }
}

/** True for the all-zero account that anonymous submissions carry. */
export function isAnonymousAccount(account: Uint8Array): boolean {
  return account.length === ACCOUNT_BYTES && account.every((b) => b === 0);
}
