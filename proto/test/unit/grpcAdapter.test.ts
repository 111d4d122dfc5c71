import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { Attester } from "../../src/gen/tributary/attester/v1/attester_pb.ts";
import { BlobStatus } from "../../src/gen/tributary/common/v1/blob_pb.ts";
import {
  ConsensusShard,
  StreamBlocksRequestSchema,
} from "../../src/gen/tributary/consensus/v1/consensus_pb.ts";
import {
  Disperser,
  GetBlobStatusResponseSchema,
  RetrieveBlobResponseSchema,
} from "../../src/gen/tributary/disperser/v1/disperser_pb.ts";
import { Encoder } from "../../src/gen/tributary/encoder/v1/encoder_pb.ts";
import { Sampler } from "../../src/gen/tributary/sampler/v1/sampler_pb.ts";
import { StorageShard } from "../../src/gen/tributary/storage/v1/storage_pb.ts";
import {
  createServiceDefinition,
  decodeMessage,
  encodeMessage,
  MalformedMessage,
  messageSizeOptions,
} from "../../src/grpcAdapter.ts";
import { implement } from "../../src/grpcServer.ts";
import { fromServiceError, INTERNAL_ERROR_DETAILS, RpcError, toStatusObject } from "../../src/rpcError.ts";

const SERVICES = [Disperser, Encoder, StorageShard, Attester, ConsensusShard, Sampler];

describe("createServiceDefinition", () => {
  it("maps every rpc of every service to its gRPC path and streaming flags", () => {
    for (const service of SERVICES) {
      const definition = createServiceDefinition(service);
      expect(Object.keys(definition)).toEqual(service.methods.map((m) => m.localName));
      for (const method of service.methods) {
        const def = definition[method.localName];
        expect(def?.path).toBe(`/${service.typeName}/${method.name}`);
        expect(def?.requestStream).toBe(
          method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
        );
        expect(def?.responseStream).toBe(
          method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
        );
      }
    }
  });

  it("uses the agreed paths and kinds for the streaming rpcs", () => {
    const storage = createServiceDefinition(StorageShard);
    expect(storage.storeColumns?.path).toBe("/tributary.storage.v1.StorageShard/StoreColumns");
    expect([storage.storeColumns?.requestStream, storage.storeColumns?.responseStream]).toEqual([
      true,
      false,
    ]);
    expect([storage.sampleCells?.requestStream, storage.sampleCells?.responseStream]).toEqual([true, true]);
    const disperser = createServiceDefinition(Disperser);
    expect([disperser.retrieveBlob?.requestStream, disperser.retrieveBlob?.responseStream]).toEqual([
      false,
      true,
    ]);
  });

  it("decodes a malformed request to a MalformedMessage instead of throwing", () => {
    const def = createServiceDefinition(Disperser).getBlobStatus;
    const decoded = def?.requestDeserialize(Buffer.from([0x0a, 0x05, 0x01]));
    expect(decoded).toBeInstanceOf(MalformedMessage);
    expect((decoded as MalformedMessage).typeName).toBe("tributary.disperser.v1.GetBlobStatusRequest");
  });

  it("throws on a malformed response (grpc-js reports it to the client as INTERNAL)", () => {
    const def = createServiceDefinition(Disperser).getBlobStatus;
    expect(() => def?.responseDeserialize(Buffer.from([0x0a, 0x05, 0x01]))).toThrow();
  });
});

describe("encodeMessage / decodeMessage", () => {
  it("round-trips init objects with bigints, enums, bytes and oneofs", () => {
    const bytes = encodeMessage(GetBlobStatusResponseSchema, {
      status: BlobStatus.FINALIZED,
      blockHeight: 2n ** 63n,
      blockHash: new Uint8Array(32).fill(9),
      statusTimes: [{ status: BlobStatus.QUEUED, atMs: 1_700_000_000_000n }],
    });
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const decoded = decodeMessage(GetBlobStatusResponseSchema, bytes);
    expect(decoded.status).toBe(BlobStatus.FINALIZED);
    expect(decoded.blockHeight).toBe(2n ** 63n);
    expect(decoded.statusTimes[0]?.atMs).toBe(1_700_000_000_000n);
    // bytes fields are plain Uint8Arrays even when decoding from a Buffer
    expect(Object.getPrototypeOf(decoded.blockHash)).toBe(Uint8Array.prototype);

    const chunk = decodeMessage(
      RetrieveBlobResponseSchema,
      encodeMessage(RetrieveBlobResponseSchema, {
        part: { case: "chunk", value: { offset: 5n, data: new Uint8Array([1]) } },
      }),
    );
    expect(chunk.part.case).toBe("chunk");
  });

  it("accepts an already created message without copying it", () => {
    const message = create(GetBlobStatusResponseSchema, { consensusShardId: "cs-1" });
    expect(
      decodeMessage(GetBlobStatusResponseSchema, encodeMessage(GetBlobStatusResponseSchema, message)),
    ).toEqual(message);
  });
});

describe("toStatusObject", () => {
  it("keeps an RpcError's code, message and metadata", () => {
    const metadata = new Metadata();
    metadata.set("retry-after-ms", "250");
    const result = toStatusObject(new RpcError(status.RESOURCE_EXHAUSTED, "slow down", { metadata }));
    expect(result.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(result.details).toBe("slow down");
    expect(result.metadata.get("retry-after-ms")).toEqual(["250"]);
  });

  it("keeps a grpc-js style {code, details} object", () => {
    expect(toStatusObject({ code: status.NOT_FOUND, details: "gone" })).toMatchObject({
      code: status.NOT_FOUND,
      details: "gone",
    });
  });

  it.each([
    ["a plain Error", new Error("secret")],
    ["a string", "boom"],
    ["undefined", undefined],
    ["an explicit UNKNOWN", { code: status.UNKNOWN, details: "?" }],
    ["OK", { code: status.OK }],
    ["an out-of-range code", { code: 99 }],
    ["a string domain code", { code: "PROTOCOL_ERROR_BAD_ENCODING", message: "x" }],
  ])("turns %s into INTERNAL with the safe message", (_name, err) => {
    expect(toStatusObject(err)).toMatchObject({ code: status.INTERNAL, details: INTERNAL_ERROR_DETAILS });
  });
});

describe("fromServiceError", () => {
  it("wraps a grpc-js ServiceError with its code and details", () => {
    const serviceError = Object.assign(new Error("5 NOT_FOUND: gone"), {
      code: status.NOT_FOUND,
      details: "gone",
      metadata: new Metadata(),
    });
    const err = fromServiceError(serviceError);
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.message).toBe("gone");
    expect(err.codeName).toBe("NOT_FOUND");
    expect(err.cause).toBe(serviceError);
  });
});

describe("implement", () => {
  it("refuses a service with a missing handler", () => {
    expect(() => implement(Sampler, {} as never)).toThrow(
      "No handler for tributary.sampler.v1.Sampler.SampleBlob",
    );
  });
});

describe("implement: a server stream that ends because its call was aborted", () => {
  // Found by test/faults: StreamBlocks follows the head until its signal aborts, then returns; the
  // adapter ended the call OK, so a client whose deadline the server noticed first got OK for a
  // cut stream. A fake call makes the server's deadline fire first, every time.
  it("ends with DEADLINE_EXCEEDED, not OK", async () => {
    const { implementation } = implement(ConsensusShard, {
      submitCertificate: () => ({}),
      getBlock: () => ({}),
      async *streamBlocks(_request, ctx) {
        yield { block: { height: 1n } };
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const events = new EventEmitter();
    const call = Object.assign(events, {
      request: create(StreamBlocksRequestSchema, {}),
      cancelled: false,
      metadata: new Metadata(),
      getPath: () => "/tributary.consensus.v1.ConsensusShard/StreamBlocks",
      getDeadline: () => new Date(Date.now() + 30),
      getPeer: () => "test",
      write: () => true,
      end: () => events.emit("ended"),
    });
    const outcome = new Promise<string>((resolve) => {
      call.on("error", (s: { code: number }) => resolve(status[s.code] ?? String(s.code)));
      call.on("ended", () => resolve("OK"));
    });
    (implementation.streamBlocks as (c: unknown) => void)(call);
    expect(await outcome).toBe("DEADLINE_EXCEEDED");
  });
});

describe("messageSizeOptions", () => {
  it("raises both limits", () => {
    expect(messageSizeOptions(16)).toEqual({
      "grpc.max_receive_message_length": 16,
      "grpc.max_send_message_length": 16,
    });
  });
});
