/**
 * The StorageShard gRPC service: translates proto messages to StorageShard calls and back, and
 * nothing else. Errors leave through `toRpcError` (runtime's one status table); anything
 * unclassified is INTERNAL and logged.
 */
import { create } from "@bufbuild/protobuf";
import {
  addService,
  blobHeaderToProto,
  merkleProofToProto,
  type Server,
  type ServiceHandlers,
  storageReceiptToProto,
} from "@tributary/proto";
import { FailureReasonSchema } from "@tributary/proto/tributary/common/v1/blob";
import { CellProofSchema } from "@tributary/proto/tributary/common/v1/proof";
import {
  type GetColumnResponse,
  GetColumnResponseSchema,
  type SampleCellsResponse,
  SampleCellsResponseSchema,
  StorageShard as StorageShardService,
  type StoreColumnsRequest,
} from "@tributary/proto/tributary/storage/v1/storage";
import type { Logger } from "@tributary/runtime";
import { getErrorCodeOf, StorageErrorCode, storageError, toRpcError } from "./errors.ts";
import {
  requiredMerkleProofFromProto,
  validBatchHeaderFromProto,
  validBlobHeaderFromProto,
} from "./protoConvert.ts";
import type { Receipt, StorageShard, UploadSession } from "./storageShard.ts";

/** Largest GetColumn cells batch (storage.proto: at most 1 MiB per message). */
const MAX_CELLS_BATCH_BYTES = 1024 * 1024;

export type StorageServiceModules = { shard: StorageShard; logger: Logger };

export function createStorageServiceHandlers(
  modules: StorageServiceModules,
): ServiceHandlers<typeof StorageShardService> {
  const { shard } = modules;
  const logger = modules.logger.child("grpc.storage");

  const rejected = (err: unknown): never => {
    shard.countRejected(getErrorCodeOf(err) ?? "internal");
    throw err;
  };

  return {
    async storeColumns(requests) {
      try {
        return { receipt: storageReceiptToProto(await receiveColumns(shard, requests)) };
      } catch (err) {
        return rejected(err);
      }
    },

    async *getColumn(request) {
      const column = await shard.getColumn(request.blobKey, request.column);
      yield create(GetColumnResponseSchema, {
        part: {
          case: "start",
          value: {
            header: blobHeaderToProto(column.header),
            columnRoot: column.columnRoot,
            rootProof: merkleProofToProto(column.rootProof),
          },
        },
      });
      yield* cellBatches(column.cells);
    },

    async *sampleCells(requests) {
      for await (const request of requests) {
        const result = await shard.sampleCell(request.blobKey, request.row, request.column);
        const response: SampleCellsResponse = result.ok
          ? create(SampleCellsResponseSchema, {
              requestId: request.requestId,
              result: {
                case: "cell",
                value: create(CellProofSchema, {
                  row: result.proof.row,
                  column: result.proof.col,
                  cell: result.cell,
                  columnProof: merkleProofToProto(result.proof.columnProof),
                  columnRoot: result.proof.columnRoot,
                  rootProof: merkleProofToProto(result.proof.rootProof),
                }),
              },
            })
          : create(SampleCellsResponseSchema, {
              requestId: request.requestId,
              result: {
                case: "error",
                value: create(FailureReasonSchema, { code: result.code, message: result.message }),
              },
            });
        yield response;
      }
    },

    async signBatch(request) {
      const batch = validBatchHeaderFromProto(request.batchHeader);
      const signed = await shard.signBatch(
        batch,
        request.blobs.map((b) => ({
          blobKey: b.blobKey,
          columns: b.columns,
          ...(b.header === undefined ? {} : { header: validBlobHeaderFromProto(b.header) }),
        })),
      );
      return { signature: signed.signature, shardId: signed.shardId, epoch: BigInt(signed.epoch) };
    },

    async repairColumn(request) {
      try {
        const header = validBlobHeaderFromProto(request.header);
        const announced = request.column;
        if (announced === undefined) {
          throw storageError(
            StorageErrorCode.invalidRequest,
            "invalid_argument",
            "Column announcement missing",
          );
        }
        const receipt = await shard.storeColumns(
          header,
          request.blobKey,
          [
            {
              column: announced.column,
              columnRoot: announced.columnRoot,
              rootProof: requiredMerkleProofFromProto(announced.rootProof, "column.rootProof"),
              data: request.data,
            },
          ],
          "repair",
        );
        logger.info("Repaired column stored", { blobKey: hexOf(request.blobKey), column: announced.column });
        return { receipt: storageReceiptToProto(receipt) };
      } catch (err) {
        return rejected(err);
      }
    },
  };
}

/** Registers the service on a grpc-js server with the storage shard's error table. */
export function addStorageService(server: Server, modules: StorageServiceModules): void {
  const logger = modules.logger.child("grpc.storage");
  addService(server, StorageShardService, createStorageServiceHandlers(modules), {
    mapError: toRpcError,
    onInternalError: (err, path) => logger.error("Internal error answering a call", { path, err }),
  });
}

/** Reads one StoreColumns stream: Open, chunks, Commit (see storage.proto). */
async function receiveColumns(
  shard: StorageShard,
  requests: AsyncIterable<StoreColumnsRequest>,
): Promise<Receipt> {
  let session: UploadSession | undefined;
  for await (const request of requests) {
    const part = request.part;
    switch (part.case) {
      case "open": {
        if (session !== undefined) throw malformed("Open sent twice");
        const open = part.value;
        const header = validBlobHeaderFromProto(open.header);
        session = await shard.beginUpload(
          header,
          open.blobKey,
          open.columns.map((c) => ({
            column: c.column,
            columnRoot: c.columnRoot,
            rootProof: requiredMerkleProofFromProto(c.rootProof, `columns[${c.column}].rootProof`),
          })),
        );
        break;
      }
      case "chunk":
        if (session === undefined) throw malformed("Chunk before Open");
        session.addChunk(part.value.column, part.value.offset, part.value.data);
        break;
      case "commit": {
        if (session === undefined) throw malformed("Commit before Open");
        const total = part.value.totalBytes;
        if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("Commit total out of range");
        const receipt = await session.commit(Number(total));
        // Anything after Commit is a protocol error, but the columns are already durable:
        // acknowledge what is stored rather than fail a call whose effect happened.
        return receipt;
      }
      default:
        throw malformed("Empty StoreColumns message");
    }
  }
  throw malformed(session === undefined ? "Stream ended before Open" : "Stream ended before Commit");
}

function* cellBatches(cells: readonly Uint8Array[]): Generator<GetColumnResponse> {
  let first = 0;
  while (first < cells.length) {
    let bytes = 0;
    let end = first;
    while (end < cells.length && (end === first || bytes + cells[end]!.length <= MAX_CELLS_BATCH_BYTES)) {
      bytes += cells[end]!.length;
      end++;
    }
    yield create(GetColumnResponseSchema, {
      part: { case: "cells", value: { firstRow: first, cells: cells.slice(first, end) } },
    });
    first = end;
  }
}

function malformed(message: string) {
  return storageError(StorageErrorCode.invalidRequest, "invalid_argument", message);
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
