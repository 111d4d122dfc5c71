/**
 * TEST DOUBLE of the storage shard's SignBatch, served over real gRPC with a real BLS key.
 * It exists only because the real storage-shard service is being built in parallel; it checks
 * the batch root against the listed blob keys and signs batchSigningMessage, or refuses with
 * FAILED_PRECONDITION when told to (standing in for "I do not hold my columns"). It does not
 * store anything. Replace with the real shard in e2e tests.
 */
import { addService, batchHeaderFromProto, Code, RpcError } from "@tributary/proto";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import { batchRoot, batchSigningMessage, bytesEqual, sign } from "@tributary/protocol";
import { createGrpcServer, createLogger, type GrpcServer } from "@tributary/runtime";

export type FakeStorageShard = {
  readonly endpoint: string;
  /** When true, SignBatch fails with FAILED_PRECONDITION. */
  refuse: boolean;
  /** SignBatch calls received. */
  calls: number;
  close(): Promise<void>;
};

const unimplemented = () => {
  throw new RpcError(Code.UNIMPLEMENTED, "test double: not implemented");
};

export async function startFakeStorageShard(
  shardId: string,
  secretKey: Uint8Array,
  port = 0,
): Promise<FakeStorageShard> {
  const logger = createLogger({ service: "fake-storage-shard", level: "silent" });
  const grpc: GrpcServer = createGrpcServer({}, { logger });
  const state = { refuse: false, calls: 0 };
  addService(grpc.server, StorageShard, {
    storeColumns: unimplemented,
    getColumn: unimplemented,
    sampleCells: unimplemented,
    repairColumn: unimplemented,
    signBatch(request) {
      state.calls++;
      if (state.refuse) throw new RpcError(Code.FAILED_PRECONDITION, "test double: refusing to sign");
      if (request.batchHeader === undefined) throw new RpcError(Code.INVALID_ARGUMENT, "no header");
      const header = batchHeaderFromProto(request.batchHeader);
      const root = batchRoot(request.blobs.map((b) => b.blobKey));
      if (!bytesEqual(root, header.batchRoot) || header.blobCount !== request.blobs.length) {
        throw new RpcError(Code.INVALID_ARGUMENT, "batch root mismatch");
      }
      return {
        signature: sign(secretKey, batchSigningMessage(header)),
        shardId,
        epoch: BigInt(header.epoch),
      };
    },
  });
  const bound = await grpc.bind("127.0.0.1", port);
  return {
    endpoint: `127.0.0.1:${bound}`,
    get refuse() {
      return state.refuse;
    },
    set refuse(v: boolean) {
      state.refuse = v;
    },
    get calls() {
      return state.calls;
    },
    set calls(v: number) {
      state.calls = v;
    },
    close: () => grpc.shutdown(1000),
  };
}
