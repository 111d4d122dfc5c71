import { randomBytes } from "node:crypto";
import { decodeMessage, encodeMessage } from "@tributary/proto";
import { StoreColumnsRequestSchema } from "@tributary/proto/tributary/storage/v1/storage";
import { chooseSquareParams, commitSquare, extendBlob, getCell, getPreset } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { ColumnGatherer, MAX_CHUNK_BYTES, storeColumnsRequests } from "../../src/columnUpload.ts";
import { assignColumns, checkReceipt } from "../../src/dispersal.ts";
import { SquarePool } from "../../src/squarePool.ts";
import { testEpoch } from "../support/testEpoch.ts";

const epoch = testEpoch({
  epoch: 3,
  replication: 2,
  shards: ["a", "b", "c", "d"].map((id, i) => ({ id, endpoint: `127.0.0.1:${17100 + i}` })),
});

describe("assignColumns", () => {
  it("gives every column to exactly `replication` distinct shards", () => {
    const key = randomBytes(32);
    const byShard = assignColumns(epoch, key, 64);
    const holders = new Map<number, number>();
    byShard.forEach((cols) => {
      expect([...cols].sort((x, y) => x - y)).toEqual(cols);
      for (const c of cols) holders.set(c, (holders.get(c) ?? 0) + 1);
    });
    expect(holders.size).toBe(64);
    for (const n of holders.values()) expect(n).toBe(2);
  });
});

describe("checkReceipt", () => {
  const key = randomBytes(32);
  const receipt = { blobKey: key, shardId: "a", epoch: 3, columns: [1, 2, 5], storedAtMs: 1 };
  it("accepts a matching receipt and counts only columns that were sent", () => {
    expect(checkReceipt(receipt, "a", key, 3, [1, 2, 5])).toEqual([1, 2, 5]);
    expect(checkReceipt(receipt, "a", key, 3, [1, 2, 5, 7])).toEqual([1, 2, 5]);
  });
  it("rejects another blob, shard or epoch", () => {
    expect(checkReceipt(receipt, "a", randomBytes(32), 3, [1])).toMatch(/another blob/);
    expect(checkReceipt(receipt, "b", key, 3, [1])).toMatch(/shard/);
    expect(checkReceipt(receipt, "a", key, 4, [1])).toMatch(/epoch/);
    expect(checkReceipt(receipt, "a", key, 3, [9])).toMatch(/none/);
  });
});

describe("storeColumnsRequests", () => {
  it("sends open, whole columns in <= 1 MiB chunks in row order, then commit with the total", () => {
    const data = randomBytes(16 * 1024 * 1024);
    const params = chooseSquareParams(data.length, getPreset("devnet"));
    const committed = commitSquare(extendBlob(data, params));
    const columns = [0, 7, 255];
    // Through the wire encoding the client uses, decoded as the shard decodes it.
    const wire = [
      ...storeColumnsRequests({
        header: {} as never,
        blobKey: new Uint8Array(32),
        committed,
        gather: new ColumnGatherer(committed),
        columns,
        isReleased: () => false,
        call: {},
      }),
    ];
    const msgs = wire.map((m) =>
      decodeMessage(StoreColumnsRequestSchema, encodeMessage(StoreColumnsRequestSchema, m)),
    );
    expect(msgs[0]!.part?.case).toBe("open");
    const open = msgs[0]!.part!.value as { columns: { column: number }[] };
    expect(open.columns.map((c) => c.column)).toEqual(columns);
    const chunks = msgs
      .slice(1, -1)
      .map((m) => m.part!.value as { column: number; offset: number; data: Uint8Array });
    let total = 0;
    for (const c of chunks) {
      expect(c.data.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
      const first = c.offset / params.cellSize;
      const cells = Array.from({ length: c.data.length / params.cellSize }, (_, i) =>
        getCell(committed.square, first + i, c.column),
      );
      expect(Buffer.compare(Buffer.from(c.data), Buffer.concat(cells))).toBe(0);
      total += c.data.length;
    }
    expect(total).toBe(columns.length * 2 * params.k * params.cellSize);
    const commit = msgs.at(-1)!.part!.value as { totalBytes: bigint };
    expect(commit.totalBytes).toBe(BigInt(total));
  });

  it("stops reading the square once it was released", () => {
    const committed = commitSquare(
      extendBlob(randomBytes(1000), chooseSquareParams(1000, getPreset("devnet"))),
    );
    let released = false;
    const it = storeColumnsRequests({
      header: {} as never,
      blobKey: new Uint8Array(32),
      committed,
      gather: new ColumnGatherer(committed),
      columns: [0, 1],
      isReleased: () => released,
      call: {},
    });
    it.next();
    released = true;
    expect(() => it.next()).toThrow(/released/);
  });
});

describe("SquarePool", () => {
  it("reuses a buffer per geometry and bounds what it keeps", () => {
    const pool = new SquarePool({ maxIdlePerGeometry: 1, maxIdleBytes: 1 << 20 });
    const p = { k: 4, cellSize: 64 };
    const a = pool.acquire(p);
    const b = pool.acquire(p);
    expect(a).not.toBe(b);
    expect(a.length).toBe(4 * 16 * 64);
    pool.release(p, a);
    pool.release(p, b); // over maxIdlePerGeometry: dropped
    expect(pool.acquire(p)).toBe(a);
    expect(pool.acquire(p)).not.toBe(b);
    const big = { k: 128, cellSize: 1024 };
    pool.release(big, pool.acquire(big)); // 64 MiB > maxIdleBytes: dropped
    expect(pool.idleBufferBytes).toBe(0);
  });
});
