/**
 * The sampler against storage shards played by gRPC test doubles (support/fakeStorageCells.ts;
 * the real shard is built in parallel), with headers in real Redis, and following a real block
 * stream on NATS JetStream. Unique stream names; everything created is removed.
 */
import { randomBytes } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BlockSchema } from "@tributary/proto/tributary/consensus/v1/consensus";
import { SampleReportBatchSchema } from "@tributary/proto/tributary/sampler/v1/sampler";
import {
  type CommittedSquare,
  type EpochMembership,
  encodeBlobHeader,
  publicKeyOf,
  secretKeyFromSeed,
  verifySampleReport,
  verifySampleReportBatch,
} from "@tributary/protocol";
import {
  blobStatusKey,
  connectRedis,
  createLogger,
  ensureStream,
  type RedisHandle,
} from "@tributary/runtime";
import { connect, DeliverPolicy, type JetStreamManager, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobSampler, RedisHeaderSource } from "../../src/blobSampler.ts";
import { BlockFollower } from "../../src/blockFollower.ts";
import { blocksStream, samplesStream, samplesStreamConfig, samplesSubject } from "../../src/lane.ts";
import { createStandaloneSamplerMetrics } from "../../src/metrics.ts";
import { GrpcCellFetcher } from "../../src/storageCells.ts";
import { type FakeCellServer, startFakeCellServer } from "../support/fakeStorageCells.ts";
import { busiestFirstHolder, encodedBlob, testEpoch } from "../support/fixtures.ts";

const logger = createLogger({ service: "sampler-test", level: "silent" });
const tag = randomBytes(4).toString("hex");
const lane = { subjectRoot: `s${tag}`, streamPrefix: `S${tag}` };

describe("sampler (gRPC storage test doubles, real Redis and NATS)", () => {
  let servers: FakeCellServer[];
  let epoch: EpochMembership;
  let redis: RedisHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let fetcher: GrpcCellFetcher;
  let sampler: BlobSampler;
  const metrics = createStandaloneSamplerMetrics();
  const sk = secretKeyFromSeed(randomBytes(32));
  const blobs = new Map<string, CommittedSquare>();
  const blob = encodedBlob(4, 3000);
  blobs.set(Buffer.from(blob.key).toString("hex"), blob.committed);

  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => startFakeCellServer(blobs)));
    epoch = testEpoch(
      4,
      servers.map((s) => s.endpoint),
      2,
    );
    redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger });
    await redis.redis.hset(
      blobStatusKey(blob.key),
      "header",
      Buffer.from(encodeBlobHeader(blob.header)).toString("hex"),
    );
    nc = await connect({ servers: "127.0.0.1:4222" });
    jsm = await nc.jetstreamManager();
    fetcher = new GrpcCellFetcher();
    sampler = new BlobSampler(
      { samplerId: "sampler-it", secretKey: sk, confidence: 0.999999, cellTimeoutMs: 2000 },
      {
        fetcher,
        membership: { current: epoch, epoch: async () => epoch },
        headers: new RedisHeaderSource(redis.redis),
        metrics,
      },
    );
  });

  afterAll(async () => {
    fetcher?.close();
    await Promise.all((servers ?? []).map((s) => s.close()));
    await redis?.redis.del(blobStatusKey(blob.key));
    await redis?.close();
    for (const s of [blocksStream(lane, "consensus-0"), samplesStream(lane)])
      await jsm?.streams.delete(s).catch(() => undefined);
    await nc?.drain();
  });

  it("passing report, signed over its canonical bytes", async () => {
    for (const s of servers) s.mode = "ok";
    const report = await sampler.sampleKey(blob.key);
    expect(report?.passed).toBe(true);
    expect(report?.failedCells).toEqual([]);
    expect(report?.samples).toBeGreaterThan(10);
    expect(verifySampleReport(publicKeyOf(sk), report!, report!.signature)).toBe(true);
    expect(await sampler.sampleKey(randomBytes(32))).toBeUndefined();
  });

  it("a holder serving corrupted cells is rejected and the other holder is used", async () => {
    // The shard first in line for the most columns is surely asked first for some sampled cell.
    const i = busiestFirstHolder(epoch, blob.key, 2 * blob.header.k);
    servers[i]!.mode = "corrupt";
    servers[i]!.requested = 0;
    const report = await sampler.sampleKey(blob.key);
    servers[i]!.mode = "ok";
    expect(report?.passed).toBe(true);
    expect(servers[i]!.requested).toBeGreaterThan(0);
    const rejected = (await metrics.rejectedAnswers.get()).values.find(
      (v) => v.labels.shard === `storage-${i}`,
    );
    expect(rejected?.value ?? 0).toBeGreaterThan(0);
  });

  it("all holders corrupted: failed report naming the cells", async () => {
    for (const s of servers) s.mode = "corrupt";
    const report = await sampler.sampleKey(blob.key);
    for (const s of servers) s.mode = "ok";
    expect(report?.passed).toBe(false);
    expect(report?.confidence).toBe(0);
    expect(report?.failedCells.length).toBe(report?.samples);
    expect(report?.failedCells.every((c) => c.code === "SAMPLER_ERROR_PROOF_INVALID")).toBe(true);
  });

  it("follows a block stream and publishes a report per blob", async () => {
    await ensureStream(jsm, {
      name: blocksStream(lane, "consensus-0"),
      subjects: [`${lane.subjectRoot}.blocks.consensus-0`],
    });
    await ensureStream(jsm, samplesStreamConfig(lane, 1));
    const follower = new BlockFollower(
      { lane, maxConcurrentBlobs: 4, headerRetries: 2, headerRetryMs: 100 },
      { logger, metrics, nc, membership: { current: epoch, epoch: async () => epoch }, sampler },
    );
    follower.start();
    const block = create(BlockSchema, {
      shardId: "consensus-0",
      height: 1n,
      epoch: 4n,
      prevHash: new Uint8Array(32),
      timeMs: BigInt(Date.now()),
      entries: [{ blobKeys: [blob.key] }],
    });
    await nc.jetstream().publish(`${lane.subjectRoot}.blocks.consensus-0`, toBinary(BlockSchema, block));
    const consumer = await nc.jetstream().consumers.get(samplesStream(lane), {
      filterSubjects: samplesSubject(lane, "consensus-0"),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
    });
    const msg = await consumer.next({ expires: 10_000 });
    await follower.close();
    expect(msg).not.toBeNull();
    const batch = fromBinary(SampleReportBatchSchema, msg!.data);
    expect(batch.reports).toHaveLength(1);
    const report = batch.reports[0]!;
    expect(Buffer.from(report.blobKey)).toEqual(Buffer.from(blob.key));
    expect(report.passed).toBe(true);
    expect(report.signature).toHaveLength(0);
    expect(verifySampleReportBatch(publicKeyOf(sk), batch.reports, batch.signature)).toBe(true);
  });
});
