import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ASSIGN_COLUMN_DOMAIN,
  ASSIGN_SHARD_DOMAIN,
  ColumnAssignment,
  columnHolderIndices,
  columnsForShard,
  consensusShardForNamespace,
  mix32,
  storageShardsForColumn,
} from "../../src/assignment.ts";
import type { EpochMembership } from "../../src/epoch.ts";

function sha(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Membership for assignment only (keys unused here; validateEpoch is exercised elsewhere). */
function epochOf(shardIds: string[], replication: number, consensusIds: string[] = ["c-0"]): EpochMembership {
  return {
    epoch: 1,
    storageShards: shardIds.map((id) => ({
      id,
      endpoint: "x",
      blsPublicKey: new Uint8Array(48),
      weight: 1,
      proofOfPossession: new Uint8Array(96),
    })),
    consensusShards: consensusIds.map((id) => ({ id, validators: [] })),
    replication,
    columnMargin: 0,
  };
}

const ids = (n: number, prefix = "storage-") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const keyOf = (i: number) => sha(`blob-${i}`);

/** Straight transcription of the module-doc spec: score every shard, sort, take r. */
function reference(epoch: EpochMembership, blobKey: Uint8Array, column: number): string[] {
  const seed = sha(ASSIGN_COLUMN_DOMAIN, blobKey);
  const b0 = seed.readUInt32BE(0);
  const b1 = seed.readUInt32BE(4);
  const colKey = mix32((b1 + Math.imul(column, 0x9e3779b9)) >>> 0);
  const scored = epoch.storageShards.map((s) => {
    const tag = sha(ASSIGN_SHARD_DOMAIN, s.id).readUInt32BE(0);
    return { id: s.id, score: mix32((mix32((b0 ^ tag) >>> 0) ^ colKey) >>> 0) };
  });
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored.slice(0, epoch.replication).map((s) => s.id);
}

describe("assignment known-answer vector (test/vectors/assignment.json)", () => {
  const vector = JSON.parse(
    readFileSync(new URL("../../../../test/vectors/assignment.json", import.meta.url), "utf8"),
  );
  const epoch = epochOf(vector.storage.shardIds, vector.storage.replication, vector.consensus.shardIds);

  it("mix32 and shard tags", () => {
    for (const { input, output } of vector.mix32) expect(mix32(input)).toBe(output);
    for (const { id, tag } of vector.shardTags)
      expect(sha(ASSIGN_SHARD_DOMAIN, id).readUInt32BE(0)).toBe(tag);
  });

  it("storage shards per column", () => {
    for (const c of vector.storage.cases) {
      const blobKey = Buffer.from(c.blobKey, "hex");
      expect(sha(ASSIGN_COLUMN_DOMAIN, blobKey).subarray(0, 8).toString("hex")).toBe(c.seedPrefix);
      for (let j = 0; j < c.columnCount; j++) {
        expect(storageShardsForColumn(epoch, blobKey, j)).toEqual(c.holders[j]);
        expect(reference(epoch, blobKey, j)).toEqual(c.holders[j]);
      }
    }
  });

  it("consensus shard per namespace", () => {
    for (const c of vector.consensus.cases) {
      expect(consensusShardForNamespace(epoch, Buffer.from(c.namespace, "hex"))).toBe(c.consensusShard);
    }
  });
});

describe("storageShardsForColumn", () => {
  it("matches the spec transcription for random epochs, keys and columns", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 5 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 255 }),
        (n, r, blobKey, column) => {
          const epoch = epochOf(ids(n), Math.min(r, n));
          expect(storageShardsForColumn(epoch, blobKey, column)).toEqual(reference(epoch, blobKey, column));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is deterministic and returns r distinct member shards", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 1, max: 6 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 255 }),
        (n, r, blobKey, column) => {
          const epoch = epochOf(ids(n), Math.min(r, n));
          const a = storageShardsForColumn(epoch, blobKey, column);
          const b = storageShardsForColumn(epochOf(ids(n), Math.min(r, n)), Uint8Array.from(blobKey), column);
          expect(a).toEqual(b);
          expect(a).toHaveLength(Math.min(r, n));
          expect(new Set(a).size).toBe(a.length);
          for (const id of a) expect(id.startsWith("storage-")).toBe(true);
        },
      ),
    );
  });

  it("does not depend on the order shards are listed in", () => {
    const forward = epochOf(ids(12), 3);
    const reversed = epochOf(ids(12).reverse(), 3);
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 16; j++) {
        expect(storageShardsForColumn(reversed, keyOf(i), j)).toEqual(
          storageShardsForColumn(forward, keyOf(i), j),
        );
      }
    }
  });

  it("is balanced: every shard gets r/n of the column replicas within 5% over 2000 blobs x 256 columns", () => {
    const n = 16;
    const r = 3;
    const epoch = epochOf(ids(n), r);
    const counts = new Array<number>(n).fill(0);
    const blobs = 2000;
    const columns = 256;
    for (let b = 0; b < blobs; b++) {
      const holders = columnHolderIndices(epoch, keyOf(b), columns);
      for (const h of holders) counts[h]!++;
    }
    const expected = (blobs * columns * r) / n;
    for (const c of counts) expect(Math.abs(c - expected) / expected).toBeLessThan(0.05);
    // Primary (rank-0) holder is balanced too, and so is the per-blob load (no shard starved of a blob).
    const primaries = new Array<number>(n).fill(0);
    for (let b = 0; b < 500; b++) {
      const holders = columnHolderIndices(epoch, keyOf(b), columns);
      for (let j = 0; j < columns; j++) primaries[holders[j * r]!]!++;
    }
    const expectedPrimary = (500 * columns) / n;
    for (const c of primaries) expect(Math.abs(c - expectedPrimary) / expectedPrimary).toBeLessThan(0.08);
  });

  it("minimal disruption: adding a shard moves ~1/(n+1) of replicas, all of them to the new shard", () => {
    const n = 16;
    const r = 3;
    const before = epochOf(ids(n), r);
    const after = epochOf([...ids(n), "storage-new"], r);
    let slots = 0;
    let moved = 0;
    for (let b = 0; b < 400; b++) {
      const hb = columnHolderIndices(before, keyOf(b), 256);
      const ha = columnHolderIndices(after, keyOf(b), 256);
      for (let j = 0; j < 256; j++) {
        const oldSet = new Set(
          Array.from(hb.subarray(j * r, (j + 1) * r), (i) => before.storageShards[i]!.id),
        );
        const newSet = Array.from(ha.subarray(j * r, (j + 1) * r), (i) => after.storageShards[i]!.id);
        for (const id of newSet) {
          slots++;
          if (!oldSet.has(id)) {
            moved++;
            expect(id).toBe("storage-new");
          }
        }
      }
    }
    const fraction = moved / slots;
    expect(Math.abs(fraction - 1 / (n + 1)) / (1 / (n + 1))).toBeLessThan(0.1);
  });

  it("rejects malformed input", () => {
    const epoch = epochOf(ids(4), 2);
    expect(() => storageShardsForColumn(epoch, new Uint8Array(31), 0)).toThrow(/blobKey/);
    expect(() => storageShardsForColumn(epoch, keyOf(0), -1)).toThrow(/column/);
    expect(() => storageShardsForColumn(epoch, keyOf(0), 1.5)).toThrow(/column/);
    expect(() => storageShardsForColumn(epochOf(ids(2), 3), keyOf(0), 0)).toThrow(/replication/);
  });
});

describe("columnsForShard", () => {
  it("is the inverse of storageShardsForColumn", () => {
    const epoch = epochOf(ids(10), 2);
    for (let b = 0; b < 20; b++) {
      const all = new Map<string, number[]>();
      for (let j = 0; j < 64; j++) {
        for (const id of storageShardsForColumn(epoch, keyOf(b), j)) all.set(id, [...(all.get(id) ?? []), j]);
      }
      for (const id of ids(10)) expect(columnsForShard(epoch, keyOf(b), 64, id)).toEqual(all.get(id) ?? []);
    }
    expect(columnsForShard(epoch, keyOf(0), 64, "not-a-member")).toEqual([]);
  });
});

describe("consensusShardForNamespace", () => {
  it("is deterministic, order-independent and balanced", () => {
    const shardIds = ids(8, "consensus-");
    const epoch = epochOf(["s"], 1, shardIds);
    const reversed = epochOf(["s"], 1, [...shardIds].reverse());
    const counts = new Map<string, number>();
    for (let i = 0; i < 8000; i++) {
      const ns = sha(`ns-${i}`).subarray(0, 29);
      const c = consensusShardForNamespace(epoch, ns);
      expect(consensusShardForNamespace(reversed, ns)).toBe(c);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const id of shardIds) expect(Math.abs((counts.get(id) ?? 0) - 1000) / 1000).toBeLessThan(0.12);
  });

  it("moves only namespaces won by a new shard", () => {
    const before = epochOf(["s"], 1, ids(4, "c-"));
    const after = epochOf(["s"], 1, [...ids(4, "c-"), "c-new"]);
    let moved = 0;
    for (let i = 0; i < 2000; i++) {
      const ns = sha(`ns-${i}`);
      const a = consensusShardForNamespace(before, ns);
      const b = consensusShardForNamespace(after, ns);
      if (a !== b) {
        moved++;
        expect(b).toBe("c-new");
      }
    }
    expect(Math.abs(moved / 2000 - 0.2)).toBeLessThan(0.04);
  });

  it("rejects an empty namespace", () => {
    expect(() => consensusShardForNamespace(epochOf(["s"], 1), new Uint8Array(0))).toThrow(/namespace/);
  });
});

describe("assignment cost", () => {
  it("assigns 256 columns x 200 blobs over 16 shards quickly", () => {
    const epoch = epochOf(ids(16), 3);
    const keys = Array.from({ length: 200 }, (_, i) => keyOf(i));
    const holders = new Int32Array(3);
    const run = () => {
      for (const key of keys) {
        const a = new ColumnAssignment(epoch, key);
        for (let j = 0; j < 256; j++) a.shardIndicesForColumn(j, holders);
      }
    };
    run(); // warm up
    const t0 = performance.now();
    run();
    const ms = performance.now() - t0;
    console.log(
      `assignment: 200 blobs x 256 columns x 16 shards in ${ms.toFixed(1)} ms (${((ms * 1e6) / (200 * 256)).toFixed(0)} ns per column)`,
    );
    expect(ms).toBeLessThan(1000);
  });
});
