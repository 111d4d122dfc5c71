import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BatchHeader } from "../../src/batch.ts";
import {
  BATCH_SIGNING_DOMAIN,
  batchHeadersEqual,
  batchInclusionProof,
  batchRoot,
  batchSigningMessage,
  decodeBatchHeader,
  encodeBatchHeader,
  verifyBatchInclusion,
} from "../../src/batch.ts";
import { ProtocolError, ProtocolErrorCode } from "../../src/errors.ts";
import { hashLeaf, hashNode, merkleRoot } from "../../src/merkle.ts";

const keyOf = (i: number) => createHash("sha256").update(`blob-${i}`).digest();
const keys = (n: number) => Array.from({ length: n }, (_, i) => keyOf(i));

const header: BatchHeader = {
  epoch: 42,
  batchRoot: batchRoot(keys(5)),
  blobCount: 5,
  createdAtMs: 1_790_000_000_000,
  attesterId: "attester-0",
};

describe("batchRoot / inclusion proofs", () => {
  it("is the RFC 6962 root over hashLeaf(blobKey)", () => {
    const k = keys(3);
    expect(batchRoot(k)).toEqual(hashNode(hashNode(hashLeaf(k[0]!), hashLeaf(k[1]!)), hashLeaf(k[2]!)));
    expect(batchRoot(k.slice(0, 1))).toEqual(hashLeaf(k[0]!));
    expect(batchRoot(k)).toEqual(merkleRoot(k.map((x) => hashLeaf(x))));
  });

  it("every blob's proof verifies, and only at its own position and root", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (n, pick) => {
        const k = keys(n);
        const root = batchRoot(k);
        const index = pick % n;
        const proof = batchInclusionProof(k, index);
        expect(verifyBatchInclusion(k[index]!, proof, n, root)).toBe(true);
        expect(verifyBatchInclusion(keyOf(n + 1), proof, n, root)).toBe(false);
        if (n > 1) {
          expect(verifyBatchInclusion(k[index]!, { ...proof, index: (index + 1) % n }, n, root)).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("rejects malformed keys and empty batches; verify never throws", () => {
    expect(() => batchRoot([])).toThrow(ProtocolError);
    expect(() => batchRoot([new Uint8Array(31)])).toThrow(/32 bytes/);
    const proof = batchInclusionProof(keys(4), 1);
    expect(verifyBatchInclusion(new Uint8Array(3), proof, 4, batchRoot(keys(4)))).toBe(false);
    expect(verifyBatchInclusion(keyOf(1), proof, 0, batchRoot(keys(4)))).toBe(false);
    expect(
      verifyBatchInclusion(keyOf(1), { index: 1, siblings: [new Uint8Array(2)] }, 4, batchRoot(keys(4))),
    ).toBe(false);
  });
});

describe("BatchHeader canonical bytes", () => {
  it("round-trips and has the documented layout", () => {
    const bytes = encodeBatchHeader(header);
    expect(bytes.length).toBe(54 + "attester-0".length);
    expect(bytes[0]).toBe(1);
    expect(Buffer.from(bytes.subarray(1, 9)).readBigUInt64BE()).toBe(42n);
    expect(Buffer.from(bytes.subarray(9, 41)).equals(Buffer.from(header.batchRoot))).toBe(true);
    expect(Buffer.from(bytes.subarray(41, 45)).readUInt32BE()).toBe(5);
    expect(Buffer.from(bytes.subarray(45, 53)).readBigUInt64BE()).toBe(1_790_000_000_000n);
    expect(bytes[53]).toBe(10);
    const decoded = decodeBatchHeader(bytes);
    expect(batchHeadersEqual(decoded, header)).toBe(true);
  });

  it("decoding is strict", () => {
    const bytes = encodeBatchHeader(header);
    const bad = (b: Uint8Array) => expect(() => decodeBatchHeader(b)).toThrow(ProtocolError);
    bad(bytes.subarray(0, bytes.length - 1));
    bad(Uint8Array.from([...bytes, 0]));
    const v2 = Uint8Array.from(bytes);
    v2[0] = 2;
    bad(v2);
    const zeroCount = Uint8Array.from(bytes);
    zeroCount.fill(0, 41, 45);
    bad(zeroCount);
    const hugeEpoch = Uint8Array.from(bytes);
    hugeEpoch.fill(0xff, 1, 9);
    bad(hugeEpoch);
    const badId = Uint8Array.from(bytes);
    badId[54] = 0x20; // space is not an allowed id character
    bad(badId);
  });

  it("encoding rejects out-of-range fields", () => {
    const bad = (h: Partial<BatchHeader>) => {
      try {
        encodeBatchHeader({ ...header, ...h });
        expect.unreachable();
      } catch (e) {
        expect((e as ProtocolError).code).toBe(ProtocolErrorCode.invalidHeader);
      }
    };
    bad({ epoch: -1 });
    bad({ epoch: 1.5 });
    bad({ batchRoot: new Uint8Array(31) });
    bad({ blobCount: 0 });
    bad({ createdAtMs: Number.MAX_SAFE_INTEGER + 1 });
    bad({ attesterId: "" });
    bad({ attesterId: "x".repeat(256) });
  });

  it("the signing message is the domain tag followed by the canonical header", () => {
    const m = batchSigningMessage(header);
    const tag = new TextEncoder().encode(BATCH_SIGNING_DOMAIN);
    expect(m.subarray(0, tag.length)).toEqual(tag);
    expect(m.subarray(tag.length)).toEqual(encodeBatchHeader(header));
    expect(batchSigningMessage({ ...header, createdAtMs: header.createdAtMs + 1 })).not.toEqual(m);
  });
});
