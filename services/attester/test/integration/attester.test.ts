/**
 * The attester against real NATS JetStream and Redis, with three storage shards played by a
 * gRPC test double (test/support/fakeStorageShard.ts; the real shard is built in parallel).
 * Streams and subjects are unique per run and deleted afterwards.
 */
import { randomBytes } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { batchHeaderFromProto, blobHeaderFromProto, blobHeaderToProto } from "@tributary/proto";
import { BlobInclusionSchema, CertificateSchema } from "@tributary/proto/tributary/common/v1/certificate";
import { CertificateEnvelopeSchema, EncodedEventSchema } from "@tributary/proto/tributary/events/v1/events";
import {
  type BlobHeader,
  blobKey,
  consensusShardForNamespace,
  type EpochMembership,
  verifyBlobCertificate,
} from "@tributary/protocol";
import {
  BlobStatusStore,
  blobStatusKey,
  connectRedis,
  createLogger,
  type RedisHandle,
} from "@tributary/runtime";
import { connect, type JetStreamManager, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Attester } from "../../src/attester.ts";
import { certsStream, encodedStream, encodedSubject } from "../../src/lane.ts";
import { createStandaloneAttesterMetrics } from "../../src/metrics.ts";
import { GrpcBatchSigner } from "../../src/storageSigner.ts";
import { type FakeStorageShard, startFakeStorageShard } from "../support/fakeStorageShard.ts";
import { keyedMember, testEpoch, testHeader } from "../support/fixtures.ts";

const logger = createLogger({
  service: "attester-test",
  level: process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "silent",
});
const tag = randomBytes(4).toString("hex");
const lane = { subjectRoot: `t${tag}`, streamPrefix: `T${tag}` };

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("attester (real NATS, Redis, gRPC storage test doubles)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let redis: RedisHandle;
  let shards: FakeStorageShard[];
  let epoch: EpochMembership;
  let attester: Attester;
  let signer: GrpcBatchSigner;
  const metrics = createStandaloneAttesterMetrics();
  const touchedKeys: Uint8Array[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: "127.0.0.1:4222" });
    jsm = await nc.jetstreamManager();
    redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger });
    const members = [0, 1, 2].map((i) => keyedMember(`storage-${i}`));
    shards = await Promise.all(members.map((m) => startFakeStorageShard(m.id, m.secretKey)));
    epoch = testEpoch(
      3,
      members.map((m, i) => ({ ...m, endpoint: shards[i]!.endpoint })),
      { replication: 2, consensusShards: 2 },
    );
    signer = new GrpcBatchSigner();
    attester = new Attester(
      {
        attesterId: "attester-it",
        lane,
        replicas: 1,
        consumerName: "attester",
        ackWaitMs: 30_000,
        maxAckPending: 1000,
        maxBatchBlobs: 256,
        maxBatchDelayMs: 100,
        maxBatchesInFlight: 2,
        signTimeoutMs: 1000,
        certificateTimeoutMs: 1500,
        retryIntervalMs: 200,
        nakDelayMs: 500,
      },
      {
        logger,
        metrics,
        nc,
        statusStore: new BlobStatusStore(redis.redis),
        membership: {
          epoch: async (n) => (n === epoch.epoch ? epoch : Promise.reject(new Error("unknown"))),
        },
        signer,
      },
    );
    await attester.start();
  });

  afterAll(async () => {
    await attester?.close();
    signer?.close();
    await Promise.all((shards ?? []).map((s) => s.close()));
    for (const name of [encodedStream(lane), certsStream(lane)])
      await jsm?.streams.delete(name).catch(() => undefined);
    if (touchedKeys.length > 0) await redis.redis.del(...touchedKeys.map(blobStatusKey));
    await redis?.close();
    await nc?.drain();
  });

  async function submit(header: BlobHeader): Promise<Uint8Array> {
    const key = blobKey(header);
    touchedKeys.push(key);
    await redis.redis.hset(blobStatusKey(key), "status", "ENCODED", "rank", "1");
    const event = create(EncodedEventSchema, {
      header: blobHeaderToProto(header),
      acceptedAtMs: BigInt(Date.now()),
    });
    await nc.jetstream().publish(encodedSubject(lane), toBinary(EncodedEventSchema, event));
    return key;
  }

  it("certifies a batch: CERTIFIED with a verifying certificate, envelopes per owning shard, events acked", async () => {
    const headers = [testHeader(3, 100), testHeader(3, 2000), testHeader(3, 9000), testHeader(3, 1)];
    const keys = await Promise.all(headers.map(submit));
    const store = new BlobStatusStore(redis.redis);
    for (const [i, key] of keys.entries()) {
      const record = await waitFor(async () => {
        const r = await store.get(key);
        return r?.status === "CERTIFIED" ? r : undefined;
      }, 15_000);
      const cert = fromBinary(CertificateSchema, Buffer.from(record.fields.certificate!, "base64"));
      const inclusion = fromBinary(BlobInclusionSchema, Buffer.from(record.fields.inclusion!, "base64"));
      const check = verifyBlobCertificate(
        {
          batchHeader: batchHeaderFromProto(cert.batchHeader!),
          signerBitmap: cert.signerBitmap,
          aggregateSignature: cert.aggregateSignature,
        },
        { index: inclusion.proof!.leafIndex, siblings: inclusion.proof!.siblings },
        { blobKey: key, k: headers[i]!.k },
        epoch,
      );
      expect(check).toEqual({ ok: true });
    }
    // Events are acked (work queue: acked messages leave the stream).
    await waitFor(
      async () => ((await jsm.streams.info(encodedStream(lane))).state.messages === 0 ? true : undefined),
      5000,
    );
    // Envelopes: every blob in exactly one envelope, on the subject of the shard owning its namespace.
    const info = await jsm.streams.info(certsStream(lane));
    const seen = new Set<string>();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(certsStream(lane), { seq });
      const env = fromBinary(CertificateEnvelopeSchema, m.data);
      expect(env.batchBlobCount).toBe(4);
      for (const b of env.blobs) {
        const header = blobHeaderFromProto(b.header!);
        const owner = consensusShardForNamespace(epoch, header.namespace);
        expect(m.subject).toBe(`${lane.subjectRoot}.certs.${owner}`);
        seen.add(Buffer.from(blobKey(header)).toString("hex"));
      }
    }
    expect(seen.size).toBe(4);
    const batches = await metrics.batches.get();
    expect(batches.values.find((v) => v.labels.result === "certified")?.value).toBe(1);
  });

  it("below threshold (2 of 3 shards refuse): no certificate and no ack; the batch is retried in place until it certifies", async () => {
    shards[0]!.refuse = true;
    shards[1]!.refuse = true;
    const before = shards[2]!.calls;
    const key = await submit(testHeader(3, 500));
    // Wait past one certificate timeout and a retry.
    await waitFor(
      async () => (shards[2]!.calls - before >= 2 && shards[0]!.calls > 0 ? true : undefined),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 2500));
    const record = await new BlobStatusStore(redis.redis).get(key);
    expect(record?.status).toBe("ENCODED");
    expect(record?.fields.certificate).toBeUndefined();
    const info = await jsm.streams.info(encodedStream(lane));
    expect(info.state.messages).toBe(1);
    // Once the shards sign again the same batch certifies, without the event being redelivered
    // (redelivery would let later blobs of the namespace overtake it).
    shards[0]!.refuse = false;
    shards[1]!.refuse = false;
    await waitFor(
      async () =>
        (await new BlobStatusStore(redis.redis).get(key))?.status === "CERTIFIED" ? true : undefined,
      15_000,
    );
    const consumer = await jsm.consumers.info(encodedStream(lane), "attester");
    expect(consumer.num_redelivered).toBe(0);
  });
});
