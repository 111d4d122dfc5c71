/**
 * TEST DOUBLE of the storage shard's SampleCells, served over real gRPC. It exists only because
 * the real storage-shard service is being built in parallel: it answers every cell of the blobs
 * it is given (ignoring assignment) with the cell and its real proof, or, when told, with a
 * corrupted cell (one flipped byte: the proof no longer verifies) or a per-request error.
 */
import { create } from "@bufbuild/protobuf";
import { addService, Code, RpcError } from "@tributary/proto";
import { CellProofSchema } from "@tributary/proto/tributary/common/v1/proof";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import { type CommittedSquare, cellProof, getCell } from "@tributary/protocol";
import { createGrpcServer, createLogger } from "@tributary/runtime";

export type CellMode = "ok" | "corrupt" | "error";

export type FakeCellServer = {
  readonly endpoint: string;
  mode: CellMode;
  /** Cells requested so far. */
  requested: number;
  close(): Promise<void>;
};

const unimplemented = () => {
  throw new RpcError(Code.UNIMPLEMENTED, "test double: not implemented");
};

export async function startFakeCellServer(
  blobs: ReadonlyMap<string, CommittedSquare>,
): Promise<FakeCellServer> {
  const grpc = createGrpcServer({}, { logger: createLogger({ service: "fake-storage", level: "silent" }) });
  const state = { mode: "ok" as CellMode, requested: 0 };
  addService(grpc.server, StorageShard, {
    storeColumns: unimplemented,
    getColumn: unimplemented,
    signBatch: unimplemented,
    repairColumn: unimplemented,
    async *sampleCells(requests) {
      for await (const r of requests) {
        state.requested++;
        const committed = blobs.get(Buffer.from(r.blobKey).toString("hex"));
        if (committed === undefined || state.mode === "error") {
          yield {
            requestId: r.requestId,
            result: {
              case: "error",
              value: { code: "STORAGE_ERROR_BLOB_NOT_FOUND", message: "test double" },
            },
          };
          continue;
        }
        const p = cellProof(committed, r.row, r.column);
        const cell = getCell(committed.square, r.row, r.column).slice();
        if (state.mode === "corrupt") cell[0] = cell[0]! ^ 0xff;
        yield {
          requestId: r.requestId,
          result: {
            case: "cell",
            value: create(CellProofSchema, {
              row: r.row,
              column: r.column,
              cell,
              columnProof: { leafIndex: p.columnProof.index, siblings: [...p.columnProof.siblings] },
              columnRoot: p.columnRoot,
              rootProof: { leafIndex: p.rootProof.index, siblings: [...p.rootProof.siblings] },
            }),
          },
        };
      }
    },
  });
  const port = await grpc.bind("127.0.0.1", 0);
  return {
    endpoint: `127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: CellMode) {
      state.mode = m;
    },
    get requested() {
      return state.requested;
    },
    set requested(n: number) {
      state.requested = n;
    },
    close: () => grpc.shutdown(1000),
  };
}
