/**
 * The storage-lane client side of StorageShard.StoreColumns for one shard: an Open message that
 * announces every column with its column root and root proof (`lineRootProof(committed, "col",
 * j)`), the columns' bytes as chunks of at most 1 MiB (cells in row order), and a Commit with
 * the byte total. grpc-js writes the stream with backpressure, so a slow shard holds only its
 * window's worth of copies. Returns the shard's receipt once it has fsynced.
 */

import {
  type CallOptions,
  type EncodedMessage,
  type RequestInitOf,
  type ServiceClient,
  type StorageReceipt,
  storageReceiptFromProto,
} from "@tributary/proto";
import type { BlobHeader as BlobHeaderProto } from "@tributary/proto/tributary/common/v1/blob";
import type { StorageShard, StoreColumnsRequestSchema } from "@tributary/proto/tributary/storage/v1/storage";
import { type CommittedSquare, cellOffset, lineRootProof } from "@tributary/protocol";
import { encodeChunkMessage } from "./chunkWire.ts";

/** Chunks never exceed 1 MiB (storage.proto). Cell sizes are powers of two <= 2 KiB, so cells never straddle. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

type StoreRequest =
  | RequestInitOf<(typeof StorageShard)["method"]["storeColumns"]>
  | EncodedMessage<typeof StoreColumnsRequestSchema>;

/**
 * Each column's chunk messages, built once and shared by every shard that stores that column (r
 * of them): the square is row-major, so a column is 2k strided cells, gathered here straight
 * into the wire buffer of its chunk message (`encodeChunkMessage`). grpc-js only reads a message
 * it sends, so the same bytes serve all r streams.
 */
export class ColumnGatherer {
  private readonly committed: CommittedSquare;
  private readonly source: Buffer;
  private readonly cache = new Map<number, ChunkMessage[]>();

  constructor(committed: CommittedSquare) {
    this.committed = committed;
    const { data } = committed.square;
    this.source = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  /** Column `j` as chunk messages of at most MAX_CHUNK_BYTES, rows in order. */
  chunks(j: number): readonly ChunkMessage[] {
    let out = this.cache.get(j);
    if (out === undefined) {
      const { params } = this.committed.square;
      const { cellSize } = params;
      const w = 2 * params.k;
      const cellsPerChunk = Math.max(1, Math.floor(MAX_CHUNK_BYTES / cellSize));
      out = [];
      for (let first = 0; first < w; first += cellsPerChunk) {
        const rows = Math.min(cellsPerChunk, w - first);
        const message = encodeChunkMessage(j, first * cellSize, rows * cellSize, (into) => {
          for (let i = 0; i < rows; i++) {
            const from = cellOffset(params, first + i, j);
            // Buffer#copy is a native memcpy with no intermediate view per cell.
            this.source.copy(into, i * cellSize, from, from + cellSize);
          }
        });
        out.push({ message, bytes: rows * cellSize });
      }
      this.cache.set(j, out);
    }
    return out;
  }
}

/** One encoded chunk and how many column bytes it carries. */
export type ChunkMessage = {
  readonly message: EncodedMessage<typeof StoreColumnsRequestSchema>;
  readonly bytes: number;
};

export type UploadOptions = {
  header: BlobHeaderProto;
  blobKey: Uint8Array;
  committed: CommittedSquare;
  /** Shared by the uploads of one blob. */
  gather: ColumnGatherer;
  /** Columns for this shard, ascending. */
  columns: readonly number[];
  /** True once the square buffer was handed back: the request stream must stop reading it. */
  isReleased: () => boolean;
  call: CallOptions;
};

/** Total bytes `columns` occupy on the wire (chunk payloads). */
export function columnBytes(committed: CommittedSquare, columns: number): number {
  const { k, cellSize } = committed.square.params;
  return columns * 2 * k * cellSize;
}

export function* storeColumnsRequests(opts: UploadOptions): Generator<StoreRequest> {
  const { committed, columns } = opts;
  yield {
    part: {
      case: "open",
      value: {
        header: opts.header,
        blobKey: opts.blobKey,
        columns: columns.map((column) => {
          const proof = lineRootProof(committed, "col", column);
          return {
            column,
            columnRoot: committed.commitment.colRoots[column]!,
            rootProof: { leafIndex: proof.index, siblings: [...proof.siblings] },
          };
        }),
      },
    },
  };
  let total = 0;
  for (const column of columns) {
    if (opts.isReleased()) throw new Error("square buffer released while streaming columns");
    for (const chunk of opts.gather.chunks(column)) {
      yield chunk.message;
      total += chunk.bytes;
    }
  }
  yield { part: { case: "commit", value: { totalBytes: BigInt(total) } } };
}

/** Streams the columns to one shard and returns its receipt (checked by the caller). */
export async function uploadColumns(
  client: ServiceClient<typeof StorageShard>,
  opts: UploadOptions,
): Promise<StorageReceipt> {
  const response = await client.storeColumns(storeColumnsRequests(opts), opts.call);
  if (response.receipt === undefined) throw new Error("storage shard answered without a receipt");
  return storageReceiptFromProto(response.receipt);
}
