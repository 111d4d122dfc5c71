/**
 * Encoder over real loopback gRPC. The storage shards here are the TEST-ONLY in-memory servers
 * of test/support/memoryStorageShard.ts (they verify what they store with the protocol
 * functions); the real storage shard is tested end to end elsewhere.
 */
import { randomBytes } from "node:crypto";
import { Code, createClient, RpcError, type ServiceClient } from "@tributary/proto";
import { Encoder } from "@tributary/proto/tributary/encoder/v1/encoder";
import { grpcClientOptions } from "@tributary/runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type EncoderHarness,
  encodeHeaderInit,
  startEncoder,
  startShards,
} from "../support/encoderHarness.ts";
import type { MemoryStorageShard } from "../support/memoryStorageShard.ts";

const namespace = Uint8Array.from([0x42, ...randomBytes(15)]);

const headerInit = (epoch = 0n) => encodeHeaderInit(namespace, epoch);

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error("expected failure");
}

describe("Encoder.EncodeBlob (loopback gRPC, in-memory test storage shards)", () => {
  let shards: MemoryStorageShard[];
  let encoder: EncoderHarness;
  let client: ServiceClient<typeof Encoder>;

  beforeAll(async () => {
    const started = await startShards(3, { replication: 2 });
    shards = started.shards;
    encoder = await startEncoder({ current: started.epoch });
    client = createClient(Encoder, encoder.endpoint, { channelOptions: grpcClientOptions() });
  });
  afterAll(async () => {
    client?.$close();
    await encoder?.stop();
    for (const s of shards ?? []) s.stop();
  });
  beforeEach(() => {
    for (const s of shards) s.failStoreWith = undefined;
  });

  it("encodes, stores every column on `replication` shards and returns the receipts", async () => {
    const data = randomBytes(100_000);
    const res = await client.encodeBlob({ header: headerInit(), data });
    const h = res.header!;
    expect(h.epoch).toBe(1n);
    expect(h.size).toBe(data.length);
    expect(h.dataRoot).toHaveLength(32);
    expect(res.blobKey).toHaveLength(32);
    expect(res.storedColumnCount).toBe(2 * h.squareWidth);
    expect(res.receipts.map((r) => r.shardId).sort()).toEqual(["storage-0", "storage-1", "storage-2"]);
    const key = Buffer.from(res.blobKey).toString("hex");
    const held = shards.reduce((n, s) => n + (s.blobs.get(key)?.columns.size ?? 0), 0);
    expect(held).toBe(2 * 2 * h.squareWidth);
    // The caller may pin the expected key and derived fields; the same inputs give the same key.
    const again = await client.encodeBlob({
      header: { ...h },
      data,
      blobKey: res.blobKey,
    });
    expect(again.blobKey).toEqual(res.blobKey);
    expect(encoder.metrics.blobsEncoded.get()).toBeDefined();
  });

  it("stays durable with one shard failing (replication 2 still covers every column)", async () => {
    shards[0]!.failStoreWith = Code.UNAVAILABLE;
    const res = await client.encodeBlob({ header: headerInit(), data: randomBytes(5000) });
    expect(res.receipts.map((r) => r.shardId)).not.toContain("storage-0");
    expect(res.storedColumnCount).toBe(2 * res.header!.squareWidth);
  });

  it("fails UNAVAILABLE naming the shards when too few columns become durable", async () => {
    for (const s of shards) s.failStoreWith = Code.INTERNAL;
    const err = await rpcError(client.encodeBlob({ header: headerInit(), data: randomBytes(5000) }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toMatch(/storage-0.*storage-1.*storage-2/);
  });

  it("rejects bad input: namespace, empty data, epoch, mismatching derived fields", async () => {
    const bad = await rpcError(
      client.encodeBlob({
        header: { ...headerInit(), namespace: new Uint8Array(16) },
        data: randomBytes(10),
      }),
    );
    expect(bad.code).toBe(Code.INVALID_ARGUMENT);
    expect((await rpcError(client.encodeBlob({ header: headerInit(), data: new Uint8Array() }))).code).toBe(
      Code.INVALID_ARGUMENT,
    );
    expect((await rpcError(client.encodeBlob({ data: randomBytes(10) }))).code).toBe(Code.INVALID_ARGUMENT);
    expect((await rpcError(client.encodeBlob({ header: headerInit(9n), data: randomBytes(10) }))).code).toBe(
      Code.FAILED_PRECONDITION,
    );
    const mismatch = await rpcError(
      client.encodeBlob({ header: { ...headerInit(), size: 11 }, data: randomBytes(10) }),
    );
    expect(mismatch.code).toBe(Code.FAILED_PRECONDITION);
    const wrongKey = await rpcError(
      client.encodeBlob({ header: headerInit(), data: randomBytes(10), blobKey: randomBytes(32) }),
    );
    expect(wrongKey.code).toBe(Code.FAILED_PRECONDITION);
  });
});
