import { describe, expect, it } from "vitest";
import { BLOCK_DOMAIN, blockHash, blockSigningMessage, encodeBlockContent } from "../../src/blockCodec.ts";
import { blockBlobs, buildBlock, checkBlockLink, GENESIS_HEAD, namespaceScore } from "../../src/chain.ts";
import { certify, testHeader, testNetwork } from "../support/fixtures.ts";

describe("block codec and chain rules", () => {
  const net = testNetwork(1, "consensus-0", 1);
  const a = certify(net, [testHeader(1), testHeader(1)]);
  const b = certify(net, [testHeader(1)]);
  const fields = {
    shardId: "consensus-0",
    epoch: 1,
    timeMs: 1_700_000_000_000,
    proposer: "consensus-0-v0",
    entries: [
      { certificate: a.certificate, blobKeys: a.keys },
      { certificate: b.certificate, blobKeys: b.keys },
    ],
  };

  it("canonical bytes start with the domain and the hash covers every field", () => {
    const block = buildBlock(GENESIS_HEAD, fields);
    const bytes = encodeBlockContent(block);
    expect(Buffer.from(bytes.subarray(0, BLOCK_DOMAIN.length)).toString("ascii")).toBe("TRIBUTARY/BLOCK/v1");
    expect(block.height).toBe(1);
    expect(block.prevHash).toEqual(new Uint8Array(32));
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
    ];
    const hashes = new Set([Buffer.from(block.hash).toString("hex")]);
    for (const v of variants) hashes.add(Buffer.from(blockHash(v)).toString("hex"));
    expect(hashes.size).toBe(variants.length + 1);
    expect(blockSigningMessage(block.hash).length).toBe("TRIBUTARY/BLOCK-VOTE/v1".length + 32);
  });

  it("a block links to its parent only at the next height with the parent's hash", () => {
    const b1 = buildBlock(GENESIS_HEAD, fields);
    const b2 = buildBlock({ height: 1, hash: b1.hash }, { ...fields, entries: fields.entries.slice(1) });
    expect(checkBlockLink(GENESIS_HEAD, b1, "consensus-0")).toEqual({ ok: true });
    expect(checkBlockLink({ height: 1, hash: b1.hash }, b2, "consensus-0")).toEqual({ ok: true });
    expect(checkBlockLink(GENESIS_HEAD, b2, "consensus-0").ok).toBe(false);
    expect(checkBlockLink({ height: 1, hash: new Uint8Array(32) }, b2, "consensus-0").ok).toBe(false);
    expect(checkBlockLink(GENESIS_HEAD, b1, "consensus-1").ok).toBe(false);
    expect(checkBlockLink(GENESIS_HEAD, { ...b1, timeMs: 1 }, "consensus-0")).toMatchObject({
      ok: false,
      reason: "hash does not match the block's content",
    });
  });

  it("numbers blobs across entries and scores them for the namespace index", () => {
    const b1 = buildBlock(GENESIS_HEAD, fields);
    expect(blockBlobs(b1).map((x) => [x.index, x.entry])).toEqual([
      [0, 0],
      [1, 0],
      [2, 1],
    ]);
    expect(namespaceScore(3, 5)).toBe(3 * 1048576 + 5);
  });
});
