import { cellProof, getCell } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { type CellFetcher, sampleBlob } from "../../src/cellSampler.ts";
import { busiestFirstHolder, encodedBlob, testEpoch } from "../support/fixtures.ts";

const blob = encodedBlob(1, 1000);
const epoch = testEpoch(1, ["a:1", "b:1", "c:1"]);

/** A socket-free fetcher: answers from the committed square; `bad` endpoints corrupt cells. */
function fetcher(bad: Set<string>, down = new Set<string>()): CellFetcher & { asked: Map<string, number> } {
  const asked = new Map<string, number>();
  return {
    asked,
    async fetchCells(endpoint, _key, cells) {
      asked.set(endpoint, (asked.get(endpoint) ?? 0) + cells.length);
      if (down.has(endpoint)) throw new Error("down");
      return cells.map((c) => {
        const cell = getCell(blob.committed.square, c.row, c.column).slice();
        if (bad.has(endpoint)) cell[0] = cell[0]! ^ 1;
        return { ok: true as const, cell, proof: cellProof(blob.committed, c.row, c.column) };
      });
    },
  };
}

describe("sampleBlob", () => {
  it("passes when every holder answers correctly, with s = samplesNeeded(confidence, k) cells", async () => {
    const out = await sampleBlob(blob.header, blob.key, epoch, fetcher(new Set()), {
      confidence: 0.99,
      timeoutMs: 100,
    });
    expect(out.passed).toBe(true);
    expect(out.samples).toBeGreaterThan(0);
    expect(out.confidence).toBeGreaterThanOrEqual(0.99);
    expect(out.failedCells).toEqual([]);
  });

  it("falls back to the next holder when one corrupts or is down", async () => {
    // The shard that is first holder of the most columns is surely asked first for some cell.
    const i = busiestFirstHolder(epoch, blob.key, 2 * blob.header.k);
    const endpoint = epoch.storageShards[i]!.endpoint;
    for (const f of [fetcher(new Set([endpoint])), fetcher(new Set(), new Set([endpoint]))]) {
      const out = await sampleBlob(blob.header, blob.key, epoch, f, { confidence: 0.999999, timeoutMs: 100 });
      expect(out.passed).toBe(true);
      expect(out.rejected.get(`storage-${i}`) ?? 0).toBeGreaterThan(0);
    }
  });

  it("fails with PROOF_INVALID when every holder of a cell corrupts it", async () => {
    const out = await sampleBlob(blob.header, blob.key, epoch, fetcher(new Set(["a:1", "b:1", "c:1"])), {
      confidence: 0.9,
      timeoutMs: 100,
    });
    expect(out.passed).toBe(false);
    expect(out.confidence).toBe(0);
    expect(out.failedCells.length).toBe(out.samples);
    expect(new Set(out.failedCells.map((c) => c.code))).toEqual(new Set(["SAMPLER_ERROR_PROOF_INVALID"]));
  });
});
