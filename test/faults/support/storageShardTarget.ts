/**
 * A real storage shard (column store on a temporary directory, real StorageShard, its gRPC
 * service) on a loopback port, as its integration test stands it up (storageNode.ts), holding one
 * stored blob so that hostile requests can name real keys, columns and headers.
 */
import { StorageShard as StorageShardService } from "../../../proto/src/gen/tributary/storage/v1/storage_pb.ts";
import { blobHeaderToProto, Code } from "../../../proto/src/index.ts";
import type { ClosableTarget } from "../../../proto/test/fuzz/handlerFuzz.ts";
import { batchRoot, columnsForShard } from "../../../services/protocol/src/index.ts";
import {
  makeBlob,
  makeEpoch,
  type TestBlob,
  tempDir,
} from "../../../services/storage-shard/test/fixtures/fixtures.ts";
import { startStorageNode } from "../../../services/storage-shard/test/fixtures/storageNode.ts";

const proofOf = (blob: TestBlob, j: number) => ({
  leafIndex: blob.rootProof(j).index,
  siblings: [...blob.rootProof(j).siblings],
});

/** Open, one chunk per column, Commit: a StoreColumns stream the shard accepts. */
function storeStream(blob: TestBlob, columns: readonly number[]) {
  const open = {
    header: blobHeaderToProto(blob.header),
    blobKey: blob.key,
    columns: columns.map((j) => ({ column: j, columnRoot: blob.columnRoot(j), rootProof: proofOf(blob, j) })),
  };
  let total = 0n;
  const chunks = columns.map((j) => {
    const data = blob.column(j);
    total += BigInt(data.length);
    return { part: { case: "chunk" as const, value: { column: j, offset: 0, data } } };
  });
  return [
    { part: { case: "open" as const, value: open } },
    ...chunks,
    { part: { case: "commit" as const, value: { totalBytes: total } } },
  ];
}

export async function startStorageShardTarget(): Promise<ClosableTarget> {
  const { epoch, shards } = makeEpoch(4, 2);
  const me = shards[0]!;
  const dir = await tempDir("tributary-faults-storage-");
  const node = await startStorageNode(dir.path, epoch, me);
  const { address, client } = node;

  const stored = makeBlob(3000, { seed: 21 });
  const mine = columnsForShard(epoch, stored.key, stored.width, me.id);
  const other = makeBlob(700, { seed: 22 });
  const otherColumns = columnsForShard(epoch, other.key, other.width, me.id);
  await client.storeColumns(storeStream(stored, mine));
  const batchHeader = {
    epoch: 1n,
    batchRoot: batchRoot([stored.key]),
    blobCount: 1,
    createdAtMs: 1_700_000_000_000n,
    attesterId: "attester-0",
  };
  const j = mine[0]!;

  return {
    address,
    service: StorageShardService,
    pools: {
      bytes: [stored.key, other.key, stored.header.dataRoot, stored.columnRoot(j), stored.column(j)],
      strings: ["devnet", me.id, "attester-0"],
      messages: new Map([
        [
          "tributary.common.v1.BlobHeader",
          [blobHeaderToProto(stored.header), blobHeaderToProto(other.header)],
        ],
        ["tributary.common.v1.BatchHeader", [batchHeader]],
        ["tributary.common.v1.MerkleProof", [proofOf(stored, j)]],
      ]),
    },
    methods: {
      storeColumns: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION, Code.RESOURCE_EXHAUSTED],
        seeds: [storeStream(stored, mine), storeStream(other, otherColumns)],
      },
      getColumn: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND],
        seeds: [[{ blobKey: stored.key, column: j }]],
      },
      sampleCells: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT],
        seeds: [
          [
            { requestId: 1n, blobKey: stored.key, row: 0, column: j },
            { requestId: 2n, blobKey: stored.key, row: stored.width - 1, column: mine.at(-1)! },
          ],
        ],
      },
      signBatch: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION],
        seeds: [[{ batchHeader, blobs: [{ blobKey: stored.key, columns: mine }] }]],
      },
      repairColumn: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION, Code.RESOURCE_EXHAUSTED],
        seeds: [
          [
            {
              header: blobHeaderToProto(stored.header),
              blobKey: stored.key,
              column: { column: j, columnRoot: stored.columnRoot(j), rootProof: proofOf(stored, j) },
              data: stored.column(j),
            },
          ],
        ],
      },
    },
    async probe() {
      let cells = 0;
      for await (const msg of client.getColumn({ blobKey: stored.key, column: j })) {
        if (msg.part.case === "cells") cells += msg.part.value.cells.length;
      }
      if (cells !== stored.width)
        throw new Error(`probe: GetColumn served ${cells} of ${stored.width} cells`);
    },
    async close() {
      await node.stop();
      await dir.remove();
    },
  };
}
