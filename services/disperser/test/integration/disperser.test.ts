/**
 * Disperser over real loopback gRPC with real Redis and NATS JetStream, an in-process Encoder
 * (services/encoder, wired as its main.ts does) and TEST-ONLY in-memory storage shards
 * (services/encoder/test/support/memoryStorageShard.ts: they verify what they store with the
 * protocol functions). The real storage shards are exercised by the end-to-end devnet tests.
 *
 * Isolation: a random namespace per run (so request ids and blob keys are unique), a unique
 * JetStream stream/subject for encoded events, and every Redis key created is deleted after.
 */
import { randomBytes } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { Client, Code, credentials, type ServiceClient } from "@tributary/proto";
import { BlobStatus } from "@tributary/proto/tributary/common/v1/blob";
import type { Disperser } from "@tributary/proto/tributary/disperser/v1/disperser";
import { EncodedEventSchema } from "@tributary/proto/tributary/events/v1/events";
import { blobStatusKey, type NatsHandle, type RedisHandle } from "@tributary/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemoryStorageShard } from "../../../encoder/test/support/memoryStorageShard.ts";
import { REQUEST_KEY_PREFIX } from "../../src/dispersal.ts";
import type { DisperserMetrics } from "../../src/metrics.ts";
import { namespaceIndexKey } from "../../src/namespaceIndex.ts";
import { computeRequestId } from "../../src/requestValidation.ts";
import { type DisperserHarness, rpcError, startDisperser } from "../support/disperserHarness.ts";

const MiB = 1024 * 1024;
const namespace = Uint8Array.from([0x5a, ...randomBytes(15)]);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("Disperser (loopback gRPC, real Redis + JetStream, in-memory test storage shards)", () => {
  let harness: DisperserHarness;
  let shards: MemoryStorageShard[];
  let nats: NatsHandle;
  let redis: RedisHandle;
  let client: ServiceClient<typeof Disperser>;
  let metrics: DisperserMetrics;
  let STREAM: string;

  async function disperse(data: Uint8Array, retentionSeconds = 3600n) {
    const requestId = computeRequestId({
      data,
      namespace,
      account: new Uint8Array(20),
      nonce: 0n,
      retentionSeconds: Number(retentionSeconds),
      preset: "devnet",
    });
    harness.track(REQUEST_KEY_PREFIX + Buffer.from(requestId).toString("hex"));
    const res = await client.disperseBlob({ data, namespace, retentionSeconds });
    harness.track(blobStatusKey(res.blobKey));
    return res;
  }

  async function retrieve(blobKey: Uint8Array): Promise<{ data: Buffer; totalSize: bigint }> {
    const msgs = await collect(client.retrieveBlob({ blobKey }));
    expect(msgs[0]!.part.case).toBe("start");
    const start = msgs[0]!.part.value as { totalSize: bigint };
    const parts: Buffer[] = [];
    let offset = 0n;
    for (const m of msgs.slice(1)) {
      expect(m.part.case).toBe("chunk");
      const chunk = m.part.value as { offset: bigint; data: Uint8Array };
      expect(chunk.offset).toBe(offset);
      expect(chunk.data.length).toBeGreaterThan(0);
      expect(chunk.data.length).toBeLessThanOrEqual(MiB);
      offset += BigInt(chunk.data.length);
      parts.push(Buffer.from(chunk.data));
    }
    return { data: Buffer.concat(parts), totalSize: start.totalSize };
  }

  beforeAll(async () => {
    harness = await startDisperser({ allowAnonymous: true });
    ({ shards, nats, redis, client, metrics, stream: STREAM } = harness);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it("disperses (ENCODED, event on JetStream) and retrieves byte-exact for several sizes up to 16 MiB", async () => {
    for (const size of [1, 1000, 100_000, MiB + 3, 16 * MiB]) {
      const data = randomBytes(size);
      const res = await disperse(data);
      expect(res.status).toBe(BlobStatus.ENCODED);
      expect(res.header?.size).toBe(size);
      const status = await client.getBlobStatus({ blobKey: res.blobKey });
      expect(status.status).toBe(BlobStatus.ENCODED);
      expect(status.header?.dataRoot).toEqual(res.header?.dataRoot);
      expect(status.statusTimes.map((t) => t.status)).toEqual([BlobStatus.QUEUED, BlobStatus.ENCODED]);
      const back = await retrieve(res.blobKey);
      expect(back.totalSize).toBe(BigInt(size));
      expect(back.data.equals(data)).toBe(true);
    }
    const jsm = await nats.nc.jetstreamManager();
    const info = await jsm.streams.info(STREAM);
    expect(info.state.messages).toBe(5);
    const first = await jsm.streams.getMessage(STREAM, { seq: info.state.first_seq });
    const event = fromBinary(EncodedEventSchema, first.data);
    expect(event.header?.size).toBe(1);
    expect(event.receipts.length).toBeGreaterThan(0);
    expect(metrics.encoderRetries.get()).toBeDefined();
  }, 120_000);

  it("answers an idempotent retry with the same key, without encoding again", async () => {
    const data = randomBytes(3000);
    const first = await disperse(data);
    const calls = shards.reduce((n, s) => n + s.storeCalls, 0);
    const second = await disperse(data);
    expect(second.blobKey).toEqual(first.blobKey);
    expect(second.header?.timestampMs).toBe(first.header?.timestampMs);
    expect(shards.reduce((n, s) => n + s.storeCalls, 0)).toBe(calls);
    // Concurrent duplicates also converge on one key.
    const data2 = randomBytes(3000);
    const [a, b] = await Promise.all([disperse(data2), disperse(data2)]);
    expect(a.blobKey).toEqual(b.blobKey);
  });

  it("rejects invalid requests with clear codes", async () => {
    const tooBig = await rpcError(
      client.disperseBlob({ data: new Uint8Array(16 * MiB + 1), namespace, retentionSeconds: 3600n }),
    );
    expect(tooBig.code).toBe(Code.INVALID_ARGUMENT);
    expect(tooBig.message).toMatch(/exceeds the maximum blob size of 16777216 bytes/);
    for (const ns of [new Uint8Array(), new Uint8Array(15), Uint8Array.from([0, ...namespace.slice(1)])]) {
      const e = await rpcError(
        client.disperseBlob({ data: randomBytes(10), namespace: ns, retentionSeconds: 3600n }),
      );
      expect(e.code).toBe(Code.INVALID_ARGUMENT);
    }
    const empty = await rpcError(
      client.disperseBlob({ data: new Uint8Array(), namespace, retentionSeconds: 3600n }),
    );
    expect(empty.code).toBe(Code.INVALID_ARGUMENT);
    const retention = await rpcError(
      client.disperseBlob({ data: randomBytes(10), namespace, retentionSeconds: 8n * 24n * 3600n }),
    );
    expect(retention.code).toBe(Code.INVALID_ARGUMENT);
    expect(retention.message).toMatch(/retention above the account's limit/);
    const auth = await rpcError(
      client.disperseBlob({
        data: randomBytes(10),
        namespace,
        retentionSeconds: 3600n,
        auth: { account: new Uint8Array(20), signature: new Uint8Array(65) },
      }),
    );
    expect(auth.code).toBe(Code.INVALID_ARGUMENT);
    expect(auth.message).toMatch(/all-zero account is the anonymous one/);
  });

  it("answers raw garbage request bytes with INVALID_ARGUMENT", async () => {
    const raw = new Client(
      client.$transport.getChannel().getTarget().replace(/^dns:/, ""),
      credentials.createInsecure(),
    );
    const err = await new Promise<{ code: number }>((resolve) =>
      raw.makeUnaryRequest(
        "/tributary.disperser.v1.Disperser/DisperseBlob",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        (e) => resolve(e as { code: number }),
      ),
    );
    raw.close();
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
  });

  it("NOT_FOUND for an unknown blob key, INVALID_ARGUMENT for a key that is not 32 bytes", async () => {
    expect((await rpcError(client.getBlobStatus({ blobKey: randomBytes(32) }))).code).toBe(Code.NOT_FOUND);
    expect((await rpcError(collect(client.retrieveBlob({ blobKey: randomBytes(32) })))).code).toBe(
      Code.NOT_FOUND,
    );
    expect((await rpcError(client.getBlobStatus({ blobKey: randomBytes(31) }))).code).toBe(
      Code.INVALID_ARGUMENT,
    );
  });

  it("discards a column with a corrupted cell and still retrieves the blob", async () => {
    const data = randomBytes(200_000);
    const res = await disperse(data);
    const before = (await metrics.corruptedColumns.get()).values[0]?.value ?? 0;
    // Every holder of columns 0..3 serves a corrupted cell: the retrieval must use other columns.
    for (const s of shards) for (const c of [0, 1, 2, 3]) s.corruptColumns.add(c);
    try {
      const back = await retrieve(res.blobKey);
      expect(back.data.equals(data)).toBe(true);
    } finally {
      for (const s of shards) s.corruptColumns.clear();
    }
    const after = (await metrics.corruptedColumns.get()).values[0]?.value ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(4);
  });

  it("retrieves with one storage shard stopped", async () => {
    const data = randomBytes(500_000);
    const res = await disperse(data);
    const stopped = shards[1]!;
    stopped.stop();
    try {
      const back = await retrieve(res.blobKey);
      expect(back.data.equals(data)).toBe(true);
    } finally {
      await stopped.start(); // same port again, for later tests
    }
  });

  it("lists a namespace's confirmed blobs in (height, index) order", async () => {
    const a = await disperse(randomBytes(100));
    const b = await disperse(randomBytes(200));
    const shardId = "consensus-0";
    const key = namespaceIndexKey(namespace, shardId);
    harness.track(key);
    const hexOf = (k: Uint8Array) => Buffer.from(k).toString("hex");
    await redis.redis.zadd(
      key,
      5 * 2 ** 20 + 1,
      hexOf(a.blobKey),
      5 * 2 ** 20,
      hexOf(b.blobKey),
      7 * 2 ** 20,
      `${hexOf(a.blobKey)}x`,
    );
    const all = await collect(client.getBlobsByNamespace({ namespace, fromHeight: 5n }));
    expect(all.map((e) => [e.blockHeight, e.indexInBlock])).toEqual([
      [5n, 0],
      [5n, 1],
      [7n, 0],
    ]);
    expect(all[0]!.blobKey).toEqual(b.blobKey);
    expect(all[0]!.header?.size).toBe(200);
    expect(all[0]!.consensusShardId).toBe(shardId);
    const resumed = await collect(
      client.getBlobsByNamespace({ namespace, fromHeight: 5n, fromIndex: 1, toHeight: 5n }),
    );
    expect(resumed.map((e) => e.blobKey)).toEqual([a.blobKey]);
    const limited = await collect(client.getBlobsByNamespace({ namespace, fromHeight: 0n, limit: 1 }));
    expect(limited).toHaveLength(1);
  });

  it("serves gRPC health", async () => {
    const raw = new Client(
      client.$transport.getChannel().getTarget().replace(/^dns:/, ""),
      credentials.createInsecure(),
    );
    const reply = await new Promise<Buffer>((resolve, reject) =>
      raw.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (e, v) => (e ? reject(e) : resolve(v as Buffer)),
      ),
    );
    raw.close();
    expect([...reply]).toEqual([8, 1]); // status = SERVING
  });

  it("serves gRPC reflection (list services, file containing a symbol)", async () => {
    const raw = new Client(
      client.$transport.getChannel().getTarget().replace(/^dns:/, ""),
      credentials.createInsecure(),
    );
    const call = raw.makeBidiStreamRequest(
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const replies: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (b: Buffer) => replies.push(b));
      call.on("end", resolve);
      call.on("error", reject);
    });
    call.write(Buffer.from([0x3a, 0x00])); // list_services = ""
    const symbol = Buffer.from("tributary.disperser.v1.Disperser.RetrieveBlob");
    call.write(Buffer.concat([Buffer.from([0x22, symbol.length]), symbol])); // file_containing_symbol
    call.end();
    await done;
    raw.close();
    expect(replies).toHaveLength(2);
    expect(replies[0]!.includes(Buffer.from("tributary.disperser.v1.Disperser"))).toBe(true);
    expect(replies[1]!.includes(Buffer.from("tributary/disperser/v1/disperser.proto"))).toBe(true);
    expect(replies[1]!.includes(Buffer.from("tributary/common/v1/blob.proto"))).toBe(true);
  });
});
