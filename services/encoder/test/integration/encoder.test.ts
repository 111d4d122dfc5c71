/**
 * Encoder over real loopback gRPC. The storage shards here are the TEST-ONLY in-memory servers
 * of test/support/memoryStorageShard.ts (they verify what they store with the protocol
 * functions); the real storage shard is tested end to end elsewhere.
 */
import { randomBytes } from "node:crypto";
import { Code, createClient, RpcError, type ServiceClient } from "@tributary/proto";
import { Encoder } from "@tributary/proto/tributary/encoder/v1/encoder";
import { newAccountSecretKey, signBlobKey, signSubmission } from "@tributary/protocol";
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
  it("checks the account signature before storing: a mismatch is UNAUTHENTICATED and stores nothing", async () => {
    const key = newAccountSecretKey();
    const data = randomBytes(30_000);
    const signed = signSubmission(key, data, {
      preset: "devnet",
      namespace,
      nonce: 11n,
      timestampMs: Date.now(),
      retentionSeconds: 3600,
      epoch: 1,
    });
    const header = {
      ...headerInit(1n),
      account: signed.account,
      nonce: 11n,
      timestampMs: BigInt(signed.header.timestampMs),
    };
    const heldBy = (blobKey: Uint8Array) =>
      shards.reduce((n, s) => n + (s.blobs.get(Buffer.from(blobKey).toString("hex"))?.columns.size ?? 0), 0);
    const calls = shards.reduce((n, s) => n + s.storeCalls, 0);
    for (const accountSignature of [
      signBlobKey(newAccountSecretKey(), signed.blobKey), // another key
      Uint8Array.from(signed.signature, (b, i) => (i === 3 ? b ^ 1 : b)), // a flipped bit
      new Uint8Array(0), // none
    ]) {
      const err = await rpcError(client.encodeBlob({ header, data, accountSignature }));
      expect(err.code).toBe(Code.UNAUTHENTICATED);
    }
    expect(shards.reduce((n, s) => n + s.storeCalls, 0)).toBe(calls);
    expect(heldBy(signed.blobKey)).toBe(0);
    // An anonymous blob carries no signature.
    const anonymous = await rpcError(
      client.encodeBlob({ header: headerInit(), data, accountSignature: signed.signature }),
    );
    expect(anonymous.code).toBe(Code.INVALID_ARGUMENT);
    // The right signature is accepted, and the encoder's key is the one signed.
    const res = await client.encodeBlob({ header, data, accountSignature: signed.signature });
    expect(res.blobKey).toEqual(signed.blobKey);
    expect(heldBy(signed.blobKey)).toBeGreaterThan(0);
  });
  it("encodes for the previous epoch during the grace after a change, under that epoch's assignment", async () => {
    const started = await startShards(2, { replication: 1 });
    const next = { ...started.epoch, epoch: 2 };
    started.epochs.set(2, next);
    const membership = {
      current: next,
      previous: { membership: started.epoch, replacedAtMs: Date.now() },
    };
    const other = await startEncoder(membership);
    const otherClient = createClient(Encoder, other.endpoint, { channelOptions: grpcClientOptions() });
    try {
      const res = await otherClient.encodeBlob({ header: headerInit(1n), data: randomBytes(4000) });
      expect(res.header?.epoch).toBe(1n);
      expect(res.receipts.every((r) => r.epoch === 1n)).toBe(true);
      expect(
        (await otherClient.encodeBlob({ header: headerInit(2n), data: randomBytes(10) })).header?.epoch,
      ).toBe(2n);
      expect(
        (await rpcError(otherClient.encodeBlob({ header: headerInit(3n), data: randomBytes(10) }))).code,
      ).toBe(Code.FAILED_PRECONDITION);
      membership.previous = { membership: started.epoch, replacedAtMs: Date.now() - 30_001 };
      expect(
        (await rpcError(otherClient.encodeBlob({ header: headerInit(1n), data: randomBytes(10) }))).code,
      ).toBe(Code.FAILED_PRECONDITION);
    } finally {
      otherClient.$close();
      await other.stop();
      for (const s of started.shards) s.stop();
    }
  });
});
