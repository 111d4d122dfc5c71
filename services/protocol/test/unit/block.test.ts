import { describe, expect, it } from "vitest";
import {
  BLOCK_DOMAIN,
  BLOCK_VOTE_DOMAIN,
  blockHash,
  blockSigningMessage,
  encodeBlockContent,
} from "../../src/block.ts";
import type { Certificate } from "../../src/certificate.ts";

// The certificates need not verify: the block codec only serialises them.
function certificate(rootByte: number, blobCount: number): Certificate {
  return {
    batchHeader: {
      epoch: 1,
      batchRoot: new Uint8Array(32).fill(rootByte),
      blobCount,
      createdAtMs: 1_700_000_000_000,
      attesterId: "attester-0",
    },
    signerBitmap: Uint8Array.of(0b101),
    aggregateSignature: new Uint8Array(96).fill(7),
  };
}

/** Known-answer vector: every validator hashes and signs these exact bytes. */
const VECTOR_BLOCK = {
  shardId: "consensus-0",
  height: 1,
  epoch: 1,
  prevHash: new Uint8Array(32),
  timeMs: 1_700_000_000_500,
  proposer: "consensus-0-v0",
  entries: [
    {
      certificate: certificate(1, 2),
      blobKeys: [new Uint8Array(32).fill(0xa1), new Uint8Array(32).fill(0xa2)],
    },
    { certificate: certificate(2, 1), blobKeys: [new Uint8Array(32).fill(0xb1)] },
  ],
};
const VECTOR_HASH = "96ba15e04c3dc90e27199d091fef4051af3b41d0e09e1f2dbe258101bd10a4a2";

describe("block canonical bytes", () => {
  it("matches the known-answer vector", () => {
    const bytes = encodeBlockContent(VECTOR_BLOCK);
    expect(Buffer.from(bytes.subarray(0, BLOCK_DOMAIN.length)).toString("ascii")).toBe("TRIBUTARY/BLOCK/v1");
    expect(bytes.length).toBe(543);
    expect(Buffer.from(blockHash(VECTOR_BLOCK)).toString("hex")).toBe(VECTOR_HASH);
  });

  it("the hash covers every field", () => {
    const block = VECTOR_BLOCK;
    const variants = [
      { ...block, shardId: "consensus-1" },
      { ...block, height: 2 },
      { ...block, epoch: 2 },
      { ...block, timeMs: block.timeMs + 1 },
      { ...block, proposer: "consensus-0-v1" },
      { ...block, prevHash: new Uint8Array(32).fill(1) },
      { ...block, entries: block.entries.slice(1) },
      {
        ...block,
        entries: [{ ...block.entries[0]!, blobKeys: block.entries[0]!.blobKeys.slice(1) }, block.entries[1]!],
      },
      {
        ...block,
        entries: [{ ...block.entries[0]!, certificate: certificate(3, 2) }, block.entries[1]!],
      },
    ];
    const hashes = new Set([VECTOR_HASH]);
    for (const v of variants) hashes.add(Buffer.from(blockHash(v)).toString("hex"));
    expect(hashes.size).toBe(variants.length + 1);
  });

  it("rejects ids, hashes and keys of the wrong shape", () => {
    expect(() => encodeBlockContent({ ...VECTOR_BLOCK, shardId: "" })).toThrow(RangeError);
    expect(() => encodeBlockContent({ ...VECTOR_BLOCK, prevHash: new Uint8Array(31) })).toThrow(RangeError);
    expect(() =>
      encodeBlockContent({
        ...VECTOR_BLOCK,
        entries: [{ ...VECTOR_BLOCK.entries[0]!, blobKeys: [new Uint8Array(31)] }],
      }),
    ).toThrow(RangeError);
  });

  it("the signing message is the vote domain followed by the hash", () => {
    const hash = blockHash(VECTOR_BLOCK);
    const message = blockSigningMessage(hash);
    expect(Buffer.from(message.subarray(0, BLOCK_VOTE_DOMAIN.length)).toString("ascii")).toBe(
      "TRIBUTARY/BLOCK-VOTE/v1",
    );
    expect(message.subarray(BLOCK_VOTE_DOMAIN.length)).toEqual(hash);
    expect(() => blockSigningMessage(new Uint8Array(31))).toThrow(RangeError);
  });
});
