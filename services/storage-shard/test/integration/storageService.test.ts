/**
 * The storage shard over real gRPC on loopback: a blob encoded with the protocol codec, its
 * assigned columns stored with StoreColumns, read back with GetColumn and SampleCells and checked
 * against the data root; rejections; SignBatch; RepairColumn; a restart from disk.
 */
import { create } from "@bufbuild/protobuf";
import { blobHeaderToProto, Code, RpcError, type ServiceClient } from "@tributary/proto";
import {
  type StorageShard as StorageShardService,
  type StoreColumnsRequest,
  StoreColumnsRequestSchema,
} from "@tributary/proto/tributary/storage/v1/storage";
import {
  type BatchHeader,
  batchRoot,
  columnsForShard,
  lineRoot,
  verifyBatchSignature,
  verifyCellProof,
  verifyLineRoot,
} from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBlob, makeEpoch, type TestBlob, tempDir } from "../fixtures/fixtures.ts";
import { type StorageNode, startStorageNode } from "../fixtures/storageNode.ts";

const { epoch, shards } = makeEpoch(4, 2);
const me = shards[0]!;
type Client = ServiceClient<typeof StorageShardService>;

type Node = StorageNode;

const startNode = (dataDir: string) => startStorageNode(dataDir, epoch, me);

function assigned(blob: TestBlob): number[] {
  return columnsForShard(epoch, blob.key, blob.width, me.id);
}

/** Open, each column in chunks of `chunkBytes`, Commit. `tamper` may change the announcement. */
function storeRequests(
  blob: TestBlob,
  columns: number[],
  opts: { chunkBytes?: number; rootOf?: (j: number) => Uint8Array; dataOf?: (j: number) => Uint8Array } = {},
): StoreColumnsRequest[] {
  const chunk = opts.chunkBytes ?? 700;
  const out: StoreColumnsRequest[] = [
    create(StoreColumnsRequestSchema, {
      part: {
        case: "open",
        value: {
          header: blobHeaderToProto(blob.header),
          blobKey: blob.key,
          columns: columns.map((j) => ({
            column: j,
            columnRoot: opts.rootOf?.(j) ?? blob.columnRoot(j),
            rootProof: { leafIndex: blob.rootProof(j).index, siblings: [...blob.rootProof(j).siblings] },
          })),
        },
      },
    }),
  ];
  let total = 0;
  for (const j of columns) {
    const data = opts.dataOf?.(j) ?? blob.column(j);
    for (let o = 0; o < data.length; o += chunk) {
      const piece = data.subarray(o, o + chunk);
      out.push(
        create(StoreColumnsRequestSchema, {
          part: { case: "chunk", value: { column: j, offset: o, data: piece } },
        }),
      );
      total += piece.length;
    }
  }
  out.push(
    create(StoreColumnsRequestSchema, { part: { case: "commit", value: { totalBytes: BigInt(total) } } }),
  );
  return out;
}

async function expectRpcError(p: Promise<unknown>, code: Code, errorCode: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpcError);
  const rpc = err as RpcError;
  expect({ code: rpc.codeName, errorCode: rpc.metadata.get("tributary-error-code")[0] }).toEqual({
    code: Code[code],
    errorCode,
  });
}

async function readColumn(client: Client, blob: TestBlob, j: number) {
  let start: { columnRoot: Uint8Array; rootProof: { leafIndex: number; siblings: Uint8Array[] } } | undefined;
  const cells: Uint8Array[] = [];
  for await (const msg of client.getColumn({ blobKey: blob.key, column: j })) {
    if (msg.part.case === "start") {
      const { columnRoot, rootProof } = msg.part.value;
      start = { columnRoot, rootProof: rootProof ?? { leafIndex: -1, siblings: [] } };
      expect(msg.part.value.header?.squareWidth).toBe(blob.header.k);
    } else if (msg.part.case === "cells") {
      expect(msg.part.value.firstRow).toBe(cells.length);
      cells.push(...msg.part.value.cells);
    }
  }
  return { start: start!, cells };
}

describe("StorageShard gRPC service", () => {
  const dir = { path: "", remove: async () => {} };
  let node: Node;
  const blob = makeBlob(20_000, { seed: 11 });
  const mine = assigned(blob);

  beforeAll(async () => {
    Object.assign(dir, await tempDir());
    node = await startNode(dir.path);
  });
  afterAll(async () => {
    await node.stop();
    await dir.remove();
  });

  it("stores the assigned columns and acknowledges them in a receipt", async () => {
    expect(mine.length).toBeGreaterThan(0);
    const res = await node.client.storeColumns(storeRequests(blob, mine));
    expect(res.receipt?.columns).toEqual(mine);
    expect(res.receipt?.shardId).toBe(me.id);
    expect(res.receipt?.epoch).toBe(1n);
    expect(res.receipt?.blobKey).toEqual(blob.key);
    // Idempotent re-store.
    const again = await node.client.storeColumns(
      storeRequests(blob, mine.slice(0, 1), { chunkBytes: 1 << 20 }),
    );
    expect(again.receipt?.columns).toEqual(mine);
  });

  it("serves columns that verify against the data root", async () => {
    const params = { k: blob.header.k, cellSize: blob.header.cellSize };
    for (const j of mine) {
      const { start, cells } = await readColumn(node.client, blob, j);
      expect(cells).toHaveLength(blob.width);
      expect(lineRoot(cells)).toEqual(start.columnRoot);
      expect(
        verifyLineRoot(
          start.columnRoot,
          "col",
          j,
          { index: start.rootProof.leafIndex, siblings: start.rootProof.siblings },
          params,
          blob.header.dataRoot,
        ),
      ).toBe(true);
    }
    const missing = [...Array(blob.width).keys()].find((j) => !mine.includes(j))!;
    await expectRpcError(
      readColumn(node.client, blob, missing),
      Code.NOT_FOUND,
      "STORAGE_ERROR_COLUMN_NOT_FOUND",
    );
    await expectRpcError(
      readColumn(node.client, makeBlob(100, { seed: 99 }), 0),
      Code.NOT_FOUND,
      "STORAGE_ERROR_BLOB_NOT_FOUND",
    );
  });

  it("answers SampleCells with cell proofs, and per-request errors", async () => {
    const params = { k: blob.header.k, cellSize: blob.header.cellSize };
    const notMine = [...Array(blob.width).keys()].find((j) => !mine.includes(j))!;
    const requests = [
      ...mine
        .slice(0, 4)
        .map((j, i) => ({ requestId: BigInt(i), blobKey: blob.key, row: (i * 5) % blob.width, column: j })),
      { requestId: 100n, blobKey: blob.key, row: 0, column: notMine },
      { requestId: 101n, blobKey: new Uint8Array(32), row: 0, column: 0 },
      { requestId: 102n, blobKey: blob.key, row: blob.width, column: mine[0]! },
    ];
    const responses = [];
    for await (const r of node.client.sampleCells(requests)) responses.push(r);
    expect(responses.map((r) => r.requestId)).toEqual(requests.map((r) => r.requestId));
    for (const r of responses.slice(0, -3)) {
      expect(r.result.case).toBe("cell");
      if (r.result.case !== "cell") continue;
      const c = r.result.value;
      const ok = verifyCellProof(
        c.cell,
        {
          row: c.row,
          col: c.column,
          columnProof: { index: c.columnProof!.leafIndex, siblings: c.columnProof!.siblings },
          columnRoot: c.columnRoot,
          rootProof: { index: c.rootProof!.leafIndex, siblings: c.rootProof!.siblings },
        },
        params,
        blob.header.dataRoot,
      );
      expect(ok).toBe(true);
    }
    const errors = responses.slice(-3).map((r) => (r.result.case === "error" ? r.result.value.code : "none"));
    expect(errors).toEqual([
      "STORAGE_ERROR_NOT_ASSIGNED",
      "STORAGE_ERROR_BLOB_NOT_FOUND",
      "STORAGE_ERROR_OUT_OF_RANGE",
    ]);
  });

  it("rejects bad columns with INVALID_ARGUMENT", async () => {
    const other = makeBlob(5_000, { seed: 12 });
    const cols = assigned(other);
    const wrongRoot = () => new Uint8Array(32).fill(7);
    await expectRpcError(
      node.client.storeColumns(storeRequests(other, cols, { rootOf: wrongRoot })),
      Code.INVALID_ARGUMENT,
      "STORAGE_ERROR_PROOF_INVALID",
    );
    // Right root, wrong cells: caught once the column's bytes are complete.
    await expectRpcError(
      node.client.storeColumns(
        storeRequests(other, cols, { dataOf: (j) => other.column(j).map((b) => b ^ 1) }),
      ),
      Code.INVALID_ARGUMENT,
      "STORAGE_ERROR_PROOF_INVALID",
    );
    const notMine = [...Array(other.width).keys()].filter((j) => !cols.includes(j)).slice(0, 1);
    await expectRpcError(
      node.client.storeColumns(storeRequests(other, notMine)),
      Code.INVALID_ARGUMENT,
      "STORAGE_ERROR_NOT_ASSIGNED",
    );
    // Malformed stream: chunk before open.
    await expectRpcError(
      node.client.storeColumns(storeRequests(other, cols).slice(1)),
      Code.INVALID_ARGUMENT,
      "STORAGE_ERROR_INVALID_REQUEST",
    );
    // Unknown epoch: the shard cannot check assignment yet.
    const future = makeBlob(5_000, { seed: 12, epoch: 9 });
    await expectRpcError(
      node.client.storeColumns(storeRequests(future, [0])),
      Code.FAILED_PRECONDITION,
      "STORAGE_ERROR_UNKNOWN_EPOCH",
    );
    // Nothing of it was stored.
    expect(node.store.getBlob(other.key)).toBeUndefined();
  });

  it("signs a batch it fully holds, refuses one it does not", async () => {
    const batch = (keys: Uint8Array[]): BatchHeader => ({
      epoch: 1,
      batchRoot: batchRoot(keys),
      blobCount: keys.length,
      createdAtMs: 1_700_000_000_000,
      attesterId: "attester-0",
    });
    const toProto = (b: BatchHeader) => ({
      ...b,
      epoch: BigInt(b.epoch),
      createdAtMs: BigInt(b.createdAtMs),
    });
    const good = batch([blob.key]);
    const res = await node.client.signBatch({
      batchHeader: toProto(good),
      blobs: [{ blobKey: blob.key, columns: mine }],
    });
    expect(res.shardId).toBe(me.id);
    expect(res.epoch).toBe(1n);
    expect(verifyBatchSignature(epoch, 0, good, res.signature)).toBe(true);

    const unknown = makeBlob(3_000, { seed: 13 });
    const bad = batch([blob.key, unknown.key]);
    await expectRpcError(
      node.client.signBatch({
        batchHeader: toProto(bad),
        blobs: [
          { blobKey: blob.key, columns: mine },
          { blobKey: unknown.key, columns: [] },
        ],
      }),
      Code.FAILED_PRECONDITION,
      "STORAGE_ERROR_MISSING_COLUMNS",
    );
    // Batch root that does not match the listed keys.
    await expectRpcError(
      node.client.signBatch({
        batchHeader: toProto(bad),
        blobs: [
          { blobKey: blob.key, columns: mine },
          { blobKey: blob.key, columns: [] },
        ],
      }),
      Code.INVALID_ARGUMENT,
      "STORAGE_ERROR_INVALID_BATCH",
    );
  });

  it("signs for a small blob none of whose columns are assigned to it, given the blob's header", async () => {
    // A 1-byte blob has 2 columns; with 4 shards and r = 2 some shard holds none of them.
    let tiny = makeBlob(1, { seed: 100 });
    for (let seed = 101; columnsForShard(epoch, tiny.key, 2, me.id).length > 0; seed++)
      tiny = makeBlob(1, { seed });
    const header = blobHeaderToProto(tiny.header);
    const batch: BatchHeader = {
      epoch: 1,
      batchRoot: batchRoot([tiny.key]),
      blobCount: 1,
      createdAtMs: 1_700_000_000_000,
      attesterId: "attester-0",
    };
    const batchHeader = { ...batch, epoch: 1n, createdAtMs: BigInt(batch.createdAtMs) };
    const res = await node.client.signBatch({
      batchHeader,
      blobs: [{ blobKey: tiny.key, columns: [], header }],
    });
    expect(verifyBatchSignature(epoch, 0, batch, res.signature)).toBe(true);
    // Without the header, or with one that is not this blob's, the shard cannot know and refuses.
    for (const blob of [
      { blobKey: tiny.key, columns: [] },
      { blobKey: tiny.key, columns: [], header: { ...header, size: 2 } },
    ]) {
      await expectRpcError(
        node.client.signBatch({ batchHeader, blobs: [blob] }),
        Code.FAILED_PRECONDITION,
        "STORAGE_ERROR_MISSING_COLUMNS",
      );
    }
  });

  it("accepts a repaired column and then signs for the blob", async () => {
    const other = makeBlob(8_000, { seed: 14 });
    const cols = assigned(other);
    expect(cols.length).toBeGreaterThan(1);
    await node.client.storeColumns(storeRequests(other, cols.slice(1)));
    const b: BatchHeader = {
      epoch: 1,
      batchRoot: batchRoot([other.key]),
      blobCount: 1,
      createdAtMs: 1,
      attesterId: "a",
    };
    const request = {
      batchHeader: { ...b, epoch: 1n, createdAtMs: 1n },
      blobs: [{ blobKey: other.key, columns: [] }],
    };
    await expectRpcError(
      node.client.signBatch(request),
      Code.FAILED_PRECONDITION,
      "STORAGE_ERROR_MISSING_COLUMNS",
    );
    const j = cols[0]!;
    const repair = await node.client.repairColumn({
      header: blobHeaderToProto(other.header),
      blobKey: other.key,
      column: {
        column: j,
        columnRoot: other.columnRoot(j),
        rootProof: { leafIndex: other.rootProof(j).index, siblings: [...other.rootProof(j).siblings] },
      },
      data: other.column(j),
    });
    expect(repair.receipt?.columns).toEqual(cols);
    const res = await node.client.signBatch(request);
    expect(verifyBatchSignature(epoch, 0, b, res.signature)).toBe(true);
  });

  it("serves the same columns after a restart from disk", async () => {
    await node.stop();
    node = await startNode(dir.path);
    for (const j of mine) {
      const { cells } = await readColumn(node.client, blob, j);
      expect(Buffer.concat(cells).equals(Buffer.from(blob.column(j)))).toBe(true);
    }
  });
});
