/**
 * The grpc-js adapter end to end: a real grpc-js server and client over loopback (ephemeral
 * port), built from the generated services through `implement` / `createClient`. Covers the four
 * streaming kinds on the real APIs, deadlines, cancellation, error-code mapping, malformed request
 * bytes sent raw, and an 8 MiB message with raised size limits.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStatus } from "../../proto/src/gen/tributary/common/v1/blob_pb.ts";
import { ConsensusShard } from "../../proto/src/gen/tributary/consensus/v1/consensus_pb.ts";
import { Disperser } from "../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import { Sampler } from "../../proto/src/gen/tributary/sampler/v1/sampler_pb.ts";
import {
  StorageShard,
  type StoreColumnsRequest,
} from "../../proto/src/gen/tributary/storage/v1/storage_pb.ts";
import {
  addService,
  Client,
  Code,
  createClient,
  credentials,
  INTERNAL_ERROR_DETAILS,
  Metadata,
  messageSizeOptions,
  type RequestInitOf,
  RpcError,
  Server,
  ServerCredentials,
  type ServiceClient,
} from "../../proto/src/index.ts";

const MiB = 1024 * 1024;
const MAX_MESSAGE_BYTES = 16 * MiB;
const BLOB_BYTES = 8 * MiB;

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());

/** Deterministic test blob: byte i is i mod 251 (a prime, so chunk boundaries never align with it). */
function makeBlob(size: number): Uint8Array {
  const blob = new Uint8Array(size);
  for (let i = 0; i < size; i++) blob[i] = i % 251;
  return blob;
}

/** Awaits a promise expected to reject with an RpcError and returns that error. */
async function rpcErrorOf(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error("expected the call to fail");
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

// Observations made by the server handlers, asserted on by the tests.
const observed = {
  internalErrors: [] as unknown[],
  samplerAbortReason: undefined as unknown,
  samplerActive: 0,
  streamBlocksClosed: 0,
  retrievedBlob: makeBlob(3 * MiB + 123),
};

/** A domain error with a string code, as services/protocol throws; mapped by the service's table. */
class RateLimitedError extends Error {
  readonly code = "DISPERSER_ERROR_RATE_LIMITED";
}

const DISPERSER_ERROR_TABLE: Record<string, Code> = { DISPERSER_ERROR_RATE_LIMITED: Code.RESOURCE_EXHAUSTED };

function startServer(): Server {
  const server = new Server(messageSizeOptions(MAX_MESSAGE_BYTES));

  addService(
    server,
    Disperser,
    {
      disperseBlob(request) {
        if (request.namespace.length !== 16)
          throw new RpcError(Code.INVALID_ARGUMENT, "namespace must be 16 bytes");
        return {
          blobKey: sha256(request.data),
          status: BlobStatus.QUEUED,
          header: { size: request.data.length },
        };
      },
      getBlobStatus(request) {
        switch (request.blobKey[0]) {
          case 0x01:
            throw new RpcError(Code.NOT_FOUND, "blob not found");
          case 0x02:
            throw new RpcError(Code.INVALID_ARGUMENT, "blob key must be 32 bytes");
          case 0x03:
            throw new Error("redis at 10.0.0.7:6379 refused the connection");
          case 0x04:
            throw Object.assign(new Error("explicitly unknown"), { code: Code.UNKNOWN });
          case 0x05:
            throw new RateLimitedError("account over its limit");
          default:
            return { status: BlobStatus.CONFIRMED, blockHeight: 42n, consensusShardId: "cs-0" };
        }
      },
      async *retrieveBlob(request) {
        const blob = observed.retrievedBlob;
        if (request.blobKey.length !== 32) throw new RpcError(Code.INVALID_ARGUMENT, "bad key");
        yield {
          part: { case: "start", value: { totalSize: BigInt(blob.length), header: { size: blob.length } } },
        };
        for (let offset = 0; offset < blob.length; offset += MiB) {
          const data = blob.subarray(offset, offset + MiB);
          yield { part: { case: "chunk", value: { offset: BigInt(offset), data } } };
        }
      },
      async *getBlobsByNamespace(request) {
        yield { blobKey: new Uint8Array(32), blockHeight: request.fromHeight, indexInBlock: 0 };
        throw new Error("index corrupted");
      },
    },
    {
      mapError: (err) =>
        err instanceof RateLimitedError
          ? new RpcError(DISPERSER_ERROR_TABLE[err.code] ?? Code.INTERNAL, err.message)
          : undefined,
      onInternalError: (err) => observed.internalErrors.push(err),
    },
  );

  addService(server, StorageShard, {
    async storeColumns(requests) {
      let open: Extract<StoreColumnsRequest["part"], { case: "open" }>["value"] | undefined;
      const received = new Map<number, number>();
      let totalBytes = 0;
      for await (const request of requests) {
        const part = request.part;
        if (part.case === "open") open = part.value;
        else if (part.case === "chunk") {
          if (open === undefined) throw new RpcError(Code.INVALID_ARGUMENT, "chunk before open");
          received.set(part.value.column, (received.get(part.value.column) ?? 0) + part.value.data.length);
          totalBytes += part.value.data.length;
        } else if (part.case === "commit") {
          if (part.value.totalBytes !== BigInt(totalBytes))
            throw new RpcError(Code.INVALID_ARGUMENT, "size mismatch");
          return {
            receipt: {
              blobKey: open?.blobKey ?? new Uint8Array(),
              shardId: "ss-0",
              columns: [...received.keys()].sort((a, b) => a - b),
            },
          };
        }
      }
      throw new RpcError(Code.INVALID_ARGUMENT, "stream ended without commit");
    },
    getColumn() {
      throw new RpcError(Code.UNIMPLEMENTED, "not in this test");
    },
    async *sampleCells(requests) {
      for await (const request of requests) {
        if (request.row >= 8 || request.column >= 8) {
          yield {
            requestId: request.requestId,
            result: { case: "error", value: { code: "STORAGE_ERROR_OUT_OF_RANGE", message: "outside 2k" } },
          };
        } else {
          const cell = new Uint8Array([request.row, request.column]);
          yield {
            requestId: request.requestId,
            result: { case: "cell", value: { row: request.row, column: request.column, cell } },
          };
        }
      }
    },
    signBatch() {
      throw new RpcError(Code.UNIMPLEMENTED, "not in this test");
    },
    repairColumn() {
      throw new RpcError(Code.UNIMPLEMENTED, "not in this test");
    },
  });

  addService(server, Sampler, {
    async sampleBlob(_request, ctx) {
      // Sampling that never finishes in time: wait until the adapter aborts the call.
      observed.samplerActive++;
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      observed.samplerActive--;
      observed.samplerAbortReason = ctx.signal.reason;
      throw ctx.signal.reason;
    },
  });

  addService(server, ConsensusShard, {
    submitCertificate() {
      return { duplicate: false };
    },
    getBlock(request) {
      return { block: { height: request.height, shardId: "cs-0" }, finalized: true };
    },
    async *streamBlocks(request, ctx) {
      try {
        for (let height = request.fromHeight; !ctx.signal.aborted; height++) {
          yield { block: { height, shardId: "cs-0" } };
          await sleep(5);
        }
      } finally {
        observed.streamBlocksClosed++;
      }
    },
  });

  return server;
}

let server: Server;
let address: string;
let disperser: ServiceClient<typeof Disperser>;
let storage: ServiceClient<typeof StorageShard>;
let sampler: ServiceClient<typeof Sampler>;
let consensus: ServiceClient<typeof ConsensusShard>;
let raw: Client;

beforeAll(async () => {
  server = startServer();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, boundPort) =>
      err ? reject(err) : resolve(boundPort),
    ),
  );
  address = `127.0.0.1:${port}`;
  // One channel shared by every typed client, as services do.
  const transport = new Client(address, credentials.createInsecure(), messageSizeOptions(MAX_MESSAGE_BYTES));
  disperser = createClient(Disperser, transport);
  storage = createClient(StorageShard, transport);
  sampler = createClient(Sampler, transport);
  consensus = createClient(ConsensusShard, transport);
  raw = new Client(address, credentials.createInsecure());
});

afterAll(async () => {
  disperser?.$close();
  raw?.close();
  if (server === undefined) return;
  // A graceful shutdown waits for every open call: it only completes if no handler leaked.
  const graceful = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!graceful) server.forceShutdown();
  expect(graceful, "server calls left open after the tests").toBe(true);
});

describe("grpc adapter over loopback", () => {
  describe("unary", () => {
    it("DisperseBlob round-trips an 8 MiB blob with raised message limits", async () => {
      const data = makeBlob(BLOB_BYTES);
      const response = await disperser.disperseBlob({
        data,
        namespace: new Uint8Array(16),
        retentionSeconds: 3600n,
      });
      expect(response.status).toBe(BlobStatus.QUEUED);
      expect(response.header?.size).toBe(BLOB_BYTES);
      expect(Buffer.from(response.blobKey).equals(Buffer.from(sha256(data)))).toBe(true);
      // bytes fields come back as plain Uint8Arrays, not Buffers.
      expect(Object.getPrototypeOf(response.blobKey)).toBe(Uint8Array.prototype);
    });

    it("an 8 MiB request fails with RESOURCE_EXHAUSTED against default (4 MiB) receive limits", async () => {
      const small = new Server();
      addService(small, Disperser, {
        disperseBlob: () => ({}),
        getBlobStatus: () => ({}),
        async *retrieveBlob() {},
        async *getBlobsByNamespace() {},
      });
      const port = await new Promise<number>((resolve, reject) =>
        small.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
      const client = createClient(Disperser, `127.0.0.1:${port}`);
      try {
        const err = await rpcErrorOf(
          client.disperseBlob({ data: makeBlob(BLOB_BYTES), namespace: new Uint8Array(16) }),
        );
        expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
      } finally {
        client.$close();
        small.forceShutdown();
      }
    });

    it("returns handler results built from plain init objects, bigints included", async () => {
      const response = await disperser.getBlobStatus({ blobKey: new Uint8Array(32) });
      expect(response.status).toBe(BlobStatus.CONFIRMED);
      expect(response.blockHeight).toBe(42n);
      expect(response.consensusShardId).toBe("cs-0");
    });
  });

  describe("handler errors", () => {
    const statusOf = (firstByte: number) =>
      rpcErrorOf(disperser.getBlobStatus({ blobKey: new Uint8Array(32).fill(firstByte) }));

    it("passes NOT_FOUND through with its message", async () => {
      const err = await statusOf(0x01);
      expect(err.code).toBe(Code.NOT_FOUND);
      expect(err.message).toBe("blob not found");
      expect(err.codeName).toBe("NOT_FOUND");
    });

    it("passes INVALID_ARGUMENT through", async () => {
      const err = await statusOf(0x02);
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
      expect(err.message).toBe("blob key must be 32 bytes");
    });

    it("turns a plain Error into INTERNAL with a safe message, never UNKNOWN", async () => {
      const before = observed.internalErrors.length;
      const err = await statusOf(0x03);
      expect(err.code).toBe(Code.INTERNAL);
      expect(err.message).toBe(INTERNAL_ERROR_DETAILS);
      expect(err.message).not.toContain("10.0.0.7");
      // The real error goes to the service's hook for logging.
      expect(observed.internalErrors.length).toBe(before + 1);
      expect(String(observed.internalErrors.at(-1))).toContain("10.0.0.7");
    });

    it("turns an explicit UNKNOWN into INTERNAL", async () => {
      expect((await statusOf(0x04)).code).toBe(Code.INTERNAL);
    });

    it("applies the service's error table to domain errors with string codes", async () => {
      const err = await statusOf(0x05);
      expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
      expect(err.message).toBe("account over its limit");
    });

    it("ends a server stream that fails midway with INTERNAL after the messages sent", async () => {
      const received: unknown[] = [];
      const err = await rpcErrorOf(
        (async () => {
          for await (const entry of disperser.getBlobsByNamespace({
            namespace: new Uint8Array(16),
            fromHeight: 7n,
          })) {
            received.push(entry);
          }
        })(),
      );
      expect(received).toHaveLength(1);
      expect(err.code).toBe(Code.INTERNAL);
    });
  });

  describe("server streaming", () => {
    it("RetrieveBlob streams a start message then chunks of at most 1 MiB", async () => {
      const messages = await collect(disperser.retrieveBlob({ blobKey: new Uint8Array(32) }));
      const [first, ...rest] = messages;
      expect(first?.part.case).toBe("start");
      const blob = observed.retrievedBlob;
      if (first?.part.case === "start") expect(first.part.value.totalSize).toBe(BigInt(blob.length));
      const assembled = Buffer.alloc(blob.length);
      for (const message of rest) {
        expect(message.part.case).toBe("chunk");
        if (message.part.case !== "chunk") continue;
        expect(message.part.value.data.length).toBeLessThanOrEqual(MiB);
        assembled.set(message.part.value.data, Number(message.part.value.offset));
      }
      expect(rest).toHaveLength(Math.ceil(blob.length / MiB));
      expect(assembled.equals(Buffer.from(blob))).toBe(true);
    });

    it("cancels the server's generator when the client stops iterating", async () => {
      const before = observed.streamBlocksClosed;
      const heights: bigint[] = [];
      for await (const response of consensus.streamBlocks({ fromHeight: 10n })) {
        heights.push(response.block?.height ?? 0n);
        if (heights.length === 3) break;
      }
      expect(heights).toEqual([10n, 11n, 12n]);
      await expect.poll(() => observed.streamBlocksClosed).toBe(before + 1);
    });

    it("fails with CANCELLED when the caller's AbortSignal fires", async () => {
      const controller = new AbortController();
      let count = 0;
      const err = await rpcErrorOf(
        (async () => {
          for await (const _ of consensus.streamBlocks({ fromHeight: 1n }, { signal: controller.signal })) {
            if (++count === 2) controller.abort();
          }
        })(),
      );
      expect(err.code).toBe(Code.CANCELLED);
    });
  });

  describe("client streaming", () => {
    it("StoreColumns receives open, chunks and commit and returns a receipt", async () => {
      const columnBytes = 3 * MiB;
      const columns = [0, 5, 9];
      async function* requests(): AsyncGenerator<RequestInitOf<typeof StorageShard.method.storeColumns>> {
        yield {
          part: {
            case: "open",
            value: { blobKey: new Uint8Array(32).fill(7), columns: columns.map((c) => ({ column: c })) },
          },
        };
        for (const column of columns) {
          for (let offset = 0; offset < columnBytes; offset += MiB) {
            yield {
              part: { case: "chunk", value: { column, offset, data: new Uint8Array(MiB).fill(column) } },
            };
          }
        }
        yield { part: { case: "commit", value: { totalBytes: BigInt(columns.length * columnBytes) } } };
      }
      const response = await storage.storeColumns(requests());
      expect(response.receipt?.columns).toEqual(columns);
      expect(response.receipt?.shardId).toBe("ss-0");
      expect(response.receipt?.blobKey).toEqual(new Uint8Array(32).fill(7));
    });

    it("surfaces the handler's INVALID_ARGUMENT for a stream without commit", async () => {
      const err = await rpcErrorOf(storage.storeColumns([{ part: { case: "open", value: {} } }]));
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
      expect(err.message).toBe("stream ended without commit");
    });

    it("rejects with the caller's own error when the request iterable throws", async () => {
      async function* failing(): AsyncGenerator<{ part: { case: "open"; value: object } }> {
        yield { part: { case: "open", value: {} } };
        throw new Error("disk read failed");
      }
      await expect(storage.storeColumns(failing())).rejects.toThrow("disk read failed");
    });
  });

  describe("bidi streaming", () => {
    it("SampleCells answers each request with a cell or a per-request error", async () => {
      const requests = [
        { requestId: 1n, blobKey: new Uint8Array(32), row: 0, column: 3 },
        { requestId: 2n, blobKey: new Uint8Array(32), row: 9, column: 0 },
        { requestId: 3n, blobKey: new Uint8Array(32), row: 7, column: 7 },
      ];
      const responses = await collect(storage.sampleCells(requests));
      expect(responses.map((r) => r.requestId)).toEqual([1n, 2n, 3n]);
      expect(responses.map((r) => r.result.case)).toEqual(["cell", "error", "cell"]);
      const third = responses[2]?.result;
      if (third?.case === "cell") expect([...third.value.cell]).toEqual([7, 7]);
      const second = responses[1]?.result;
      if (second?.case === "error") expect(second.value.code).toBe("STORAGE_ERROR_OUT_OF_RANGE");
    });

    it("interleaves: a response arrives before the request stream ends", async () => {
      let sendSecond!: () => void;
      const gate = new Promise<void>((resolve) => {
        sendSecond = resolve;
      });
      async function* requests() {
        yield { requestId: 1n, row: 1, column: 1 };
        await gate;
        yield { requestId: 2n, row: 2, column: 2 };
      }
      const ids: bigint[] = [];
      for await (const response of storage.sampleCells(requests())) {
        ids.push(response.requestId);
        if (ids.length === 1) sendSecond();
      }
      expect(ids).toEqual([1n, 2n]);
    });
  });

  describe("deadlines", () => {
    it("fails with DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
      const started = Date.now();
      const err = await rpcErrorOf(sampler.sampleBlob({ blobKey: new Uint8Array(32) }, { timeoutMs: 150 }));
      expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect
        .poll(() => (observed.samplerAbortReason as RpcError | undefined)?.code)
        .toBe(Code.DEADLINE_EXCEEDED);
    });

    it("accepts an absolute deadline (propagated from an incoming call)", async () => {
      const err = await rpcErrorOf(
        sampler.sampleBlob({ blobKey: new Uint8Array(32) }, { deadline: new Date(Date.now() + 100) }),
      );
      expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    });

    it("reaches the server when cancelled in the same tick the call started (grpc-js quirk)", async () => {
      for (let i = 0; i < 5; i++) {
        const controller = new AbortController();
        const call = sampler.sampleBlob({}, { signal: controller.signal });
        controller.abort();
        expect((await rpcErrorOf(call)).code).toBe(Code.CANCELLED);
      }
      // Without the adapter's second cancel these handlers would wait forever (no deadline).
      await sleep(100);
      expect(observed.samplerActive).toBe(0);
    });

    it("fails with CANCELLED at once for an already aborted signal", async () => {
      const err = await rpcErrorOf(sampler.sampleBlob({}, { signal: AbortSignal.abort() }));
      expect(err.code).toBe(Code.CANCELLED);
    });
  });

  describe("malformed request bytes", () => {
    // Field 1 (bytes) announces 5 bytes but only 1 follows: not a valid protobuf message.
    const garbage = Buffer.from([0x0a, 0x05, 0x01]);
    const identity = (value: Buffer): Buffer => value;

    it("answers a malformed unary request with INVALID_ARGUMENT", async () => {
      const err = await new Promise<{ code?: number; details?: string } | null>((resolve) =>
        raw.makeUnaryRequest(
          "/tributary.disperser.v1.Disperser/GetBlobStatus",
          identity,
          identity,
          garbage,
          new Metadata(),
          {},
          (error) => resolve(error),
        ),
      );
      expect(err?.code).toBe(Code.INVALID_ARGUMENT);
      expect(err?.details).toContain("tributary.disperser.v1.GetBlobStatusRequest");
    });

    it("answers a malformed server-streaming request with INVALID_ARGUMENT", async () => {
      const call = raw.makeServerStreamRequest(
        "/tributary.disperser.v1.Disperser/RetrieveBlob",
        identity,
        identity,
        garbage,
        new Metadata(),
        {},
      );
      const err = await new Promise<{ code?: number }>((resolve) => {
        call.on("error", resolve);
        call.on("data", () => {});
      });
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
    });

    it("answers a malformed message inside a client stream with INVALID_ARGUMENT", async () => {
      const err = await new Promise<{ code?: number } | null>((resolve) => {
        const call = raw.makeClientStreamRequest(
          "/tributary.storage.v1.StorageShard/StoreColumns",
          identity,
          identity,
          new Metadata(),
          {},
          (error) => resolve(error),
        );
        call.write(Buffer.alloc(0)); // an empty message is valid: StoreColumnsRequest with no part
        call.write(garbage);
        call.end();
      });
      expect(err?.code).toBe(Code.INVALID_ARGUMENT);
    });

    it("answers a malformed message inside a bidi stream with INVALID_ARGUMENT", async () => {
      const call = raw.makeBidiStreamRequest(
        "/tributary.storage.v1.StorageShard/SampleCells",
        identity,
        identity,
        new Metadata(),
        {},
      );
      const err = await new Promise<{ code?: number }>((resolve) => {
        call.on("error", resolve);
        call.on("data", () => {});
        call.write(garbage);
        call.end();
      });
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
    });
  });
});
