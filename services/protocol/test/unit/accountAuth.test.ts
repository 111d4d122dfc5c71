import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCOUNT_SIGNATURE_BYTES,
  accountOf,
  isAnonymousAccount,
  newAccountSecretKey,
  recoverAccount,
  signBlobKey,
} from "../../src/index.ts";

const hex = (b: Uint8Array | undefined) => (b === undefined ? "undefined" : Buffer.from(b).toString("hex"));
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const secretKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => {
  const v = BigInt(`0x${hex(k)}`);
  return v > 0n && v < N;
});
const blobKey = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("account authentication (secp256k1, Ethereum addresses)", () => {
  it("derives the known Ethereum address of the test key 0x4646...46 (EIP-155's example)", () => {
    expect(hex(accountOf(new Uint8Array(32).fill(0x46)))).toBe("9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  });

  it("signs r || s || v with v in {0, 1} and low s, deterministically", () => {
    const key = new Uint8Array(32).fill(0x46);
    const digest = createHash("sha256").update("tributary").digest();
    const sig = signBlobKey(key, digest);
    expect(sig).toHaveLength(ACCOUNT_SIGNATURE_BYTES);
    expect([0, 1]).toContain(sig[64]);
    expect(BigInt(`0x${hex(sig.subarray(32, 64))}`) <= N / 2n).toBe(true);
    expect(signBlobKey(key, digest)).toEqual(sig);
    expect(hex(recoverAccount(digest, sig))).toBe("9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  });

  it("round-trips: the signer's account is recovered", () => {
    fc.assert(
      fc.property(secretKey, blobKey, (sk, key) => {
        expect(recoverAccount(key, signBlobKey(sk, key))).toEqual(accountOf(sk));
      }),
      { numRuns: 50 },
    );
  });

  it("any flipped bit of the signature or of the blob key recovers another account or none", () => {
    fc.assert(
      fc.property(
        secretKey,
        blobKey,
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (sk, key, at, bit, inSig) => {
          const sig = signBlobKey(sk, key);
          const account = accountOf(sk);
          const sig2 = sig.slice();
          const key2 = key.slice();
          if (inSig) sig2[at % sig2.length]! ^= 1 << bit;
          else key2[at % key2.length]! ^= 1 << bit;
          const recovered = recoverAccount(key2, sig2);
          expect(recovered === undefined || hex(recovered) !== hex(account)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects malformed signatures without throwing: length, v = 27/28, high s, zero r", () => {
    const sk = newAccountSecretKey();
    const key = new Uint8Array(32).fill(9);
    const sig = signBlobKey(sk, key);
    expect(recoverAccount(key, sig.subarray(0, 64))).toBeUndefined();
    expect(recoverAccount(key, new Uint8Array(66))).toBeUndefined();
    expect(recoverAccount(key.subarray(1), sig)).toBeUndefined();
    const v27 = sig.slice();
    v27[64] = sig[64]! + 27;
    expect(recoverAccount(key, v27)).toBeUndefined();
    // The malleable twin (n - s, flipped v) is a valid ECDSA signature but not low-s.
    const s = BigInt(`0x${hex(sig.subarray(32, 64))}`);
    const twin = sig.slice();
    twin.set(Buffer.from((N - s).toString(16).padStart(64, "0"), "hex"), 32);
    twin[64] = sig[64]! ^ 1;
    expect(recoverAccount(key, twin)).toBeUndefined();
    const zeroR = sig.slice();
    zeroR.fill(0, 0, 32);
    expect(recoverAccount(key, zeroR)).toBeUndefined();
    expect(recoverAccount(key, new Uint8Array(65))).toBeUndefined();
  });

  it("refuses bad secret keys with a ProtocolError", () => {
    expect(() => accountOf(new Uint8Array(32))).toThrow(/account secret key/);
    expect(() => accountOf(new Uint8Array(31).fill(1))).toThrow(/account secret key/);
    expect(() => signBlobKey(new Uint8Array(32).fill(1), new Uint8Array(31))).toThrow(/32 bytes/);
  });

  it("knows the anonymous account", () => {
    expect(isAnonymousAccount(new Uint8Array(20))).toBe(true);
    expect(isAnonymousAccount(accountOf(newAccountSecretKey()))).toBe(false);
  });
});
