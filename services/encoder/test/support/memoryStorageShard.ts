/**
 * TEST-ONLY in-memory StorageShard gRPC server, for the encoder and disperser integration tests
 * while the real storage shard (services/storage-shard) is built in parallel. The end-to-end
 * tests use the real shards; nothing in src/ imports this.
 *
 * Serves StoreColumns and GetColumn per storage.proto, and checks what it stores with the
 * protocol functions: header -> blob key must match, every announced column must be assigned to
 * this shard in the header's epoch (columnsForShard), chunks in order and gap-free, each
 * column's cells must hash to its announced root and that root must be proven in the dataRoot.
 * Faults for tests: `corruptColumns` flips a byte of one cell of those columns when serving.
 */

import { addService, Code, RpcError, Server, ServerCredentials } from "@tributary/proto";
import type { BlobHeader as BlobHeaderProto } from "@tributary/proto/tributary/common/v1/blob";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import {
  type BlobHeader,
  bytesEqual,
  columnsForShard,
  blobKey as computeBlobKey,
  type EpochMembership,
  lineRoot,
  type MerkleProof,
  squareParamsOf,
  verifyLineRoot,
} from "@tributary/protocol";
import { grpcServerOptions, raiseServerWindows } from "@tributary/runtime";

type StoredColumn = { root: Uint8Array; proof: MerkleProof; cells: Uint8Array[] };
type StoredBlob = { header: BlobHeaderProto; columns: Map<number, StoredColumn> };

export type MemoryStorageShardOptions = {
  shardId: string;
  /** Epochs the shard knows, by number. */
  epochs: ReadonlyMap<number, EpochMembership>;
  /** Port to bind on 127.0.0.1 (0: any). */
  port?: number;
};

export class MemoryStorageShard {
  readonly shardId: string;
  readonly blobs = new Map<string, StoredBlob>();
  /** Columns whose served cells get corrupted (test fault). */
  readonly corruptColumns = new Set<number>();
  /** When set, StoreColumns fails with this code (test fault). */
  failStoreWith: Code | undefined;
  storeCalls = 0;
  getColumnCalls = 0;
  private readonly opts: MemoryStorageShardOptions;
  private server: Server | undefined;
  port = 0;

  constructor(opts: MemoryStorageShardOptions) {
    this.opts = opts;
    this.shardId = opts.shardId;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<number> {
    const server = new Server(grpcServerOptions());
    raiseServerWindows(server, 16 * 1024 * 1024);
    addService(server, StorageShard, {
      storeColumns: async (requests) => {
        this.storeCalls++;
        if (this.failStoreWith !== undefined) {
          for await (const _ of requests) {
            // drain
          }
          throw new RpcError(this.failStoreWith, "injected failure");
        }
        let open: { header: BlobHeader; headerProto: BlobHeaderProto; key: Uint8Array } | undefined;
        const announced = new Map<
          number,
          { root: Uint8Array; proof: MerkleProof; bytes: Uint8Array; filled: number }
        >();
        let total = 0n;
        let committed = false;
        for await (const req of requests) {
          if (req.part.case === "open") {
            if (open !== undefined) throw new RpcError(Code.INVALID_ARGUMENT, "second open");
            const hp = req.part.value.header;
            if (hp === undefined) throw new RpcError(Code.INVALID_ARGUMENT, "no header");
            const header = fromProto(hp);
            const key = computeBlobKey(header);
            if (!bytesEqual(key, req.part.value.blobKey))
              throw new RpcError(Code.INVALID_ARGUMENT, "blob key mismatch");
            const epoch = this.opts.epochs.get(header.epoch);
            if (epoch === undefined) throw new RpcError(Code.FAILED_PRECONDITION, "unknown epoch");
            const mine = new Set(columnsForShard(epoch, key, 2 * header.k, this.shardId));
            const columnBytes = 2 * header.k * header.cellSize;
            for (const a of req.part.value.columns) {
              if (!mine.has(a.column))
                throw new RpcError(Code.FAILED_PRECONDITION, `column ${a.column} not assigned`);
              announced.set(a.column, {
                root: a.columnRoot,
                proof: { index: a.rootProof?.leafIndex ?? -1, siblings: a.rootProof?.siblings ?? [] },
                bytes: new Uint8Array(columnBytes),
                filled: 0,
              });
            }
            open = { header, headerProto: hp, key };
          } else if (req.part.case === "chunk") {
            const c = req.part.value;
            const col = announced.get(c.column);
            if (open === undefined || col === undefined)
              throw new RpcError(Code.INVALID_ARGUMENT, "chunk for unannounced column");
            if (
              c.offset !== col.filled ||
              c.data.length === 0 ||
              c.offset + c.data.length > col.bytes.length
            ) {
              throw new RpcError(Code.INVALID_ARGUMENT, "chunk out of order");
            }
            col.bytes.set(c.data, c.offset);
            col.filled += c.data.length;
            total += BigInt(c.data.length);
          } else if (req.part.case === "commit") {
            if (req.part.value.totalBytes !== total)
              throw new RpcError(Code.INVALID_ARGUMENT, "total mismatch");
            committed = true;
          }
        }
        if (open === undefined || !committed)
          throw new RpcError(Code.INVALID_ARGUMENT, "stream ended without open/commit");
        const params = squareParamsOf(open.header);
        const stored: StoredBlob = this.blobs.get(hex(open.key)) ?? {
          header: open.headerProto,
          columns: new Map(),
        };
        for (const [j, col] of announced) {
          if (col.filled !== col.bytes.length)
            throw new RpcError(Code.INVALID_ARGUMENT, `column ${j} incomplete`);
          const cells = Array.from({ length: 2 * params.k }, (_, r) =>
            col.bytes.subarray(r * params.cellSize, (r + 1) * params.cellSize),
          );
          const root = lineRoot(cells);
          if (
            !bytesEqual(root, col.root) ||
            !verifyLineRoot(root, "col", j, col.proof, params, open.header.dataRoot)
          ) {
            throw new RpcError(Code.FAILED_PRECONDITION, `column ${j} fails its proof`);
          }
          stored.columns.set(j, { root, proof: col.proof, cells });
        }
        this.blobs.set(hex(open.key), stored);
        return {
          receipt: {
            blobKey: open.key,
            shardId: this.shardId,
            epoch: BigInt(open.header.epoch),
            columns: [...announced.keys()].sort((a, b) => a - b),
            storedAtMs: BigInt(Date.now()),
          },
        };
      },
      getColumn: (req) => this.serveColumn(req.blobKey, req.column),
      sampleCells: () => {
        throw new RpcError(Code.UNIMPLEMENTED, "not in the test shard");
      },
      signBatch: async () => {
        throw new RpcError(Code.UNIMPLEMENTED, "not in the test shard");
      },
      repairColumn: async () => {
        throw new RpcError(Code.UNIMPLEMENTED, "not in the test shard");
      },
    });
    this.server = server;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${this.port || this.opts.port || 0}`,
        ServerCredentials.createInsecure(),
        (err, port) => (err ? reject(err) : resolve(port)),
      ),
    );
    return this.port;
  }

  private async *serveColumn(key: Uint8Array, column: number) {
    this.getColumnCalls++;
    const blob = this.blobs.get(hex(key));
    const col = blob?.columns.get(column);
    if (blob === undefined || col === undefined) throw new RpcError(Code.NOT_FOUND, "column not held");
    yield {
      part: {
        case: "start" as const,
        value: {
          header: blob.header,
          columnRoot: col.root,
          rootProof: { leafIndex: col.proof.index, siblings: [...col.proof.siblings] },
        },
      },
    };
    const corrupt = this.corruptColumns.has(column);
    const perBatch = Math.max(1, Math.floor((1024 * 1024) / col.cells[0]!.length));
    for (let row = 0; row < col.cells.length; row += perBatch) {
      const cells = col.cells.slice(row, row + perBatch).map((c, i) => {
        if (!corrupt || row + i !== 1) return c;
        const bad = c.slice();
        bad[0] = bad[0]! ^ 0xff;
        return bad;
      });
      yield { part: { case: "cells" as const, value: { firstRow: row, cells } } };
    }
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function fromProto(h: BlobHeaderProto): BlobHeader {
  return {
    version: h.version,
    preset: h.preset as BlobHeader["preset"],
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: Number(h.timestampMs),
    size: h.size,
    k: h.squareWidth,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: Number(h.retentionSeconds),
    epoch: Number(h.epoch),
  };
}
