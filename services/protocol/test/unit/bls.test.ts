import { bls12_381 } from "@noble/curves/bls12-381.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  aggregatePublicKeys,
  aggregateSignatures,
  BLS_POP_DST,
  clearPublicKeyCache,
  DEFAULT_PUBLIC_KEY_CACHE_CAPACITY,
  decodePublicKey,
  decodeSignature,
  fastAggregateVerify,
  getPublicKeyCacheStats,
  proveProofOfPossession,
  publicKeyOf,
  setPublicKeyCacheCapacity,
  sign,
  verify,
  verifyProofOfPossession,
} from "../../src/bls.ts";
import { BLS_CURVE_ORDER, bigIntToBytes32, secretKeyFromSeed } from "../../src/blsKeygen.ts";
import type { EpochMembership } from "../../src/epoch.ts";
import { validateEpoch } from "../../src/epoch.ts";
import { ProtocolError, ProtocolErrorCode } from "../../src/errors.ts";

const enc = new TextEncoder();
const seedOf = (i: number) => new Uint8Array(32).fill(i + 1);
const sks = Array.from({ length: 16 }, (_, i) => secretKeyFromSeed(seedOf(i)));
const pks = sks.map(publicKeyOf);
const msg = enc.encode("TRIBUTARY/BATCH/v1 test message");

function expectProtocolError(fn: () => unknown, code: ProtocolErrorCode): void {
  try {
    fn();
    expect.unreachable("expected a ProtocolError");
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe(code);
  }
}

afterEach(() => {
  setPublicKeyCacheCapacity(DEFAULT_PUBLIC_KEY_CACHE_CAPACITY);
});

describe("keys", () => {
  it("derives deterministic 32-byte keys and 48-byte compressed public keys", () => {
    expect(secretKeyFromSeed(seedOf(0))).toEqual(sks[0]);
    expect(pks[0]).toHaveLength(48);
    expect(pks[0]![0]! & 0x80).toBe(0x80);
    expect(new Set(pks.map((p) => Buffer.from(p).toString("hex"))).size).toBe(16);
  });

  it("rejects short seeds and out-of-range secret keys", () => {
    expectProtocolError(() => secretKeyFromSeed(new Uint8Array(31)), ProtocolErrorCode.invalidKey);
    expectProtocolError(() => publicKeyOf(new Uint8Array(32)), ProtocolErrorCode.invalidKey);
    expectProtocolError(() => publicKeyOf(bigIntToBytes32(BLS_CURVE_ORDER)), ProtocolErrorCode.invalidKey);
    expectProtocolError(() => sign(new Uint8Array(31), msg), ProtocolErrorCode.invalidKey);
  });

  it("decodePublicKey rejects identity, wrong length, uncompressed and off-curve keys with ProtocolError", () => {
    const identity = new Uint8Array(48);
    identity[0] = 0xc0;
    expectProtocolError(() => decodePublicKey(identity), ProtocolErrorCode.invalidKey);
    expectProtocolError(() => decodePublicKey(pks[0]!.subarray(0, 47)), ProtocolErrorCode.invalidKey);
    const uncompressed = bls12_381.G1.Point.fromBytes(pks[0]!).toBytes(false);
    expectProtocolError(() => decodePublicKey(uncompressed), ProtocolErrorCode.invalidKey);
    const flipped = Uint8Array.from(pks[0]!);
    flipped[20]! ^= 0x01;
    expectProtocolError(() => decodePublicKey(flipped), ProtocolErrorCode.invalidKey);
  });

  it("decodeSignature rejects malformed signatures with ProtocolError", () => {
    expectProtocolError(() => decodeSignature(new Uint8Array(95)), ProtocolErrorCode.invalidSignature);
    expectProtocolError(() => decodeSignature(new Uint8Array(96)), ProtocolErrorCode.invalidSignature);
  });
});

describe("sign / verify", () => {
  const sig = sign(sks[0]!, msg);

  it("accepts a valid signature", () => {
    expect(sig).toHaveLength(96);
    expect(verify(pks[0]!, msg, sig)).toBe(true);
  });

  it("rejects a signature on another message", () => {
    expect(verify(pks[0]!, enc.encode("another message"), sig)).toBe(false);
  });

  it("rejects a signature under another key", () => {
    expect(verify(pks[1]!, msg, sig)).toBe(false);
  });

  it("rejects a forged signature (valid point, wrong scalar) and a bit-flipped one", () => {
    const forged = sign(sks[1]!, msg);
    expect(verify(pks[0]!, msg, forged)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[50]! ^= 0x40;
    expect(verify(pks[0]!, msg, flipped)).toBe(false);
  });

  it("returns false (never throws) on malformed input", () => {
    const identitySig = new Uint8Array(96);
    identitySig[0] = 0xc0;
    const identityPk = new Uint8Array(48);
    identityPk[0] = 0xc0;
    expect(verify(pks[0]!, msg, identitySig)).toBe(false);
    expect(verify(identityPk, msg, identitySig)).toBe(false);
    expect(verify(pks[0]!, msg, new Uint8Array(3))).toBe(false);
    expect(verify(new Uint8Array(0), msg, sig)).toBe(false);
    expect(verify(pks[0]!, "not bytes" as unknown as Uint8Array, sig)).toBe(false);
  });

  it("does not accept a signature made with the PoP domain", () => {
    const popStyle = bls12_381.longSignatures.Signature.toBytes(
      bls12_381.longSignatures.sign(bls12_381.longSignatures.hash(msg, BLS_POP_DST), sks[0]!),
    );
    expect(verify(pks[0]!, msg, popStyle)).toBe(false);
  });
});

describe("aggregation", () => {
  const sigs = sks.map((sk) => sign(sk, msg));

  it("fastAggregateVerify accepts the aggregate of all signers and rejects missing or extra keys", () => {
    const agg = aggregateSignatures(sigs);
    expect(fastAggregateVerify(pks, msg, agg)).toBe(true);
    expect(fastAggregateVerify(pks.slice(1), msg, agg)).toBe(false);
    expect(fastAggregateVerify([...pks, pks[0]!], msg, agg)).toBe(false);
    expect(fastAggregateVerify(pks, enc.encode("other"), agg)).toBe(false);
    expect(fastAggregateVerify([], msg, agg)).toBe(false);
  });

  it("aggregatePublicKeys equals the public key of the summed secret keys", () => {
    const sum = sks
      .slice(0, 3)
      .reduce((acc, sk) => (acc + BigInt(`0x${Buffer.from(sk).toString("hex")}`)) % BLS_CURVE_ORDER, 0n);
    expect(aggregatePublicKeys(pks.slice(0, 3))).toEqual(publicKeyOf(bigIntToBytes32(sum)));
  });

  it("rejects key sets that cancel to the identity (with the identity signature)", () => {
    const p = bls12_381.G1.Point.fromBytes(pks[0]!);
    const negated = p.negate().toBytes(true);
    expectProtocolError(() => aggregatePublicKeys([pks[0]!, negated]), ProtocolErrorCode.invalidKey);
    const identitySig = new Uint8Array(96);
    identitySig[0] = 0xc0;
    expect(fastAggregateVerify([pks[0]!, negated], msg, identitySig)).toBe(false);
  });

  it("aggregation errors are ProtocolErrors", () => {
    expectProtocolError(() => aggregateSignatures([]), ProtocolErrorCode.invalidSignature);
    expectProtocolError(() => aggregateSignatures([new Uint8Array(96)]), ProtocolErrorCode.invalidSignature);
    expectProtocolError(() => aggregatePublicKeys([]), ProtocolErrorCode.invalidKey);
  });
});

describe("public key cache", () => {
  it("caches decoded keys and stays within its bound (LRU)", () => {
    clearPublicKeyCache();
    setPublicKeyCacheCapacity(4);
    for (const pk of pks.slice(0, 6)) decodePublicKey(pk);
    expect(getPublicKeyCacheStats()).toMatchObject({ size: 4, capacity: 4, misses: 6, hits: 0 });
    decodePublicKey(pks[5]!); // most recent: hit
    decodePublicKey(pks[0]!); // evicted: miss
    expect(getPublicKeyCacheStats()).toMatchObject({ size: 4, hits: 1, misses: 7 });
    decodePublicKey(pks[5]!); // still cached after refresh
    expect(getPublicKeyCacheStats().hits).toBe(2);
    setPublicKeyCacheCapacity(0);
    expect(getPublicKeyCacheStats().size).toBe(0);
  });

  it("never caches invalid keys", () => {
    clearPublicKeyCache();
    const identity = new Uint8Array(48);
    identity[0] = 0xc0;
    expect(() => decodePublicKey(identity)).toThrow(ProtocolError);
    expect(getPublicKeyCacheStats().size).toBe(0);
  });
});

describe("proof of possession and the rogue-key attack", () => {
  it("PoP verifies for its own key only", () => {
    const pop = proveProofOfPossession(sks[0]!);
    expect(verifyProofOfPossession(pks[0]!, pop)).toBe(true);
    expect(verifyProofOfPossession(pks[1]!, pop)).toBe(false);
    // A plain signature over the key bytes (signature DST) is not a PoP.
    expect(verifyProofOfPossession(pks[0]!, sign(sks[0]!, pks[0]!))).toBe(false);
    expect(verifyProofOfPossession(new Uint8Array(48), pop)).toBe(false);
  });

  // Attacker knows only the victim's public key. It registers pk_a = g^x - pk_victim, so that
  // pk_a + pk_victim = g^x, and then "co-signs" anything with x alone.
  const G1 = bls12_381.G1.Point;
  const x = 0x1234567890abcdefn;
  const victimPk = pks[0]!;
  const roguePk = G1.BASE.multiply(x).subtract(G1.fromBytes(victimPk)).toBytes(true);
  const forge = (message: Uint8Array, dst: string) =>
    bls12_381.longSignatures.Signature.toBytes(
      bls12_381.longSignatures.sign(bls12_381.longSignatures.hash(message, dst), bigIntToBytes32(x)),
    );

  it("without PoP checks, a forged aggregate 'signed' by the victim verifies", () => {
    const forged = forge(msg, "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_");
    expect(fastAggregateVerify([roguePk, victimPk], msg, forged)).toBe(true);
  });

  it("the attacker cannot produce a PoP for the rogue key, so validateEpoch rejects it", () => {
    const attemptedPop = forge(roguePk, BLS_POP_DST); // the best it can do: sign with x
    expect(verifyProofOfPossession(roguePk, attemptedPop)).toBe(false);
    const epoch: EpochMembership = {
      epoch: 1,
      storageShards: [
        {
          id: "victim",
          endpoint: "a:1",
          blsPublicKey: victimPk,
          weight: 1,
          proofOfPossession: proveProofOfPossession(sks[0]!),
        },
        {
          id: "attacker",
          endpoint: "b:1",
          blsPublicKey: roguePk,
          weight: 1,
          proofOfPossession: attemptedPop,
        },
      ],
      consensusShards: [
        {
          id: "c0",
          validators: [
            {
              id: "v0",
              blsPublicKey: pks[2]!,
              weight: 1,
              proofOfPossession: proveProofOfPossession(sks[2]!),
            },
          ],
        },
      ],
      replication: 1,
      columnMargin: 0,
    };
    expectProtocolError(() => validateEpoch(epoch), ProtocolErrorCode.invalidProofOfPossession);
    // Structure alone is fine: the PoP is the only thing standing between the attacker and forgery.
    expect(() => validateEpoch(epoch, { checkProofsOfPossession: false })).not.toThrow();
  });
});

describe("measurements (logged)", () => {
  it("verify and fastAggregateVerify timings", () => {
    const sig = sign(sks[0]!, msg);
    const agg = aggregateSignatures(sks.map((sk) => sign(sk, msg)));
    verify(pks[0]!, msg, sig); // warm up JIT and tables
    fastAggregateVerify(pks, msg, agg);
    const time = (runs: number, fn: () => void) => {
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) fn();
      return (performance.now() - t0) / runs;
    };
    const verifyMs = time(10, () => expect(verify(pks[0]!, msg, sig)).toBe(true));
    const cachedMs = time(10, () => expect(fastAggregateVerify(pks, msg, agg)).toBe(true));
    const uncachedMs = time(5, () => {
      clearPublicKeyCache();
      expect(fastAggregateVerify(pks, msg, agg)).toBe(true);
    });
    const signMs = time(5, () => sign(sks[0]!, msg));
    console.log(
      `bls: sign ${signMs.toFixed(1)} ms, verify ${verifyMs.toFixed(1)} ms, fastAggregateVerify(16) cached ${cachedMs.toFixed(1)} ms, uncached ${uncachedMs.toFixed(1)} ms`,
    );
  });
});
