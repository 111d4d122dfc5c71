import { blockHash, encodeBlockContent } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { blockBlobs, buildBlock, checkBlockLink, GENESIS_HEAD, namespaceScore } from "../../src/chain.ts";
import { certify, testHeader, testNetwork } from "../support/fixtures.ts";

describe("chain rules", () => {
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

  it("a built block is at the next height with its content's hash", () => {
    const block = buildBlock(GENESIS_HEAD, fields);
    expect(block.height).toBe(1);
    expect(block.prevHash).toEqual(new Uint8Array(32));
    expect(block.hash).toEqual(blockHash(block));
    expect(encodeBlockContent(block).length).toBeGreaterThan(0);
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
