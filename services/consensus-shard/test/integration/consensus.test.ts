/**
 * Consensus shard against real NATS JetStream and Redis: racing proposers never write a height
 * twice; three validators finalize a block once sampling passed; a certificate below the
 * threshold is rejected. Every stream, bucket and Redis key is unique to the run and removed.
 */
import { randomBytes } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { blobHeaderToProto, certificateToProto, inclusionToProto } from "@tributary/proto";
import { BlobInclusionSchema } from "@tributary/proto/tributary/common/v1/certificate";
import { CertificateEnvelopeSchema, FinalityEventSchema } from "@tributary/proto/tributary/events/v1/events";
import { SampleReportBatchSchema, SampleReportSchema } from "@tributary/proto/tributary/sampler/v1/sampler";
import {
  type BlobHeader,
  type EpochMembership,
  encodeBlobHeader,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
  signSampleReportBatch,
} from "@tributary/protocol";
import {
  BlobStatusStore,
  blobStatusKey,
  connectRedis,
  createLogger,
  ensureStream,
  type RedisHandle,
} from "@tributary/runtime";
import { connect, type JetStreamManager, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockStream } from "../../src/blockStream.ts";
import { checkBlockLink, GENESIS_HEAD } from "../../src/chain.ts";
import { ConsensusShardNode } from "../../src/consensusShard.ts";
import {
  blocksStream,
  certsSubject,
  consensusStreams,
  finalityStream,
  type LaneNames,
  samplesSubject,
} from "../../src/lane.ts";
import { createStandaloneConsensusShardMetrics } from "../../src/metrics.ts";
import { Proposer } from "../../src/proposer.ts";
import { StatusWriter } from "../../src/statusWriter.ts";
import { verifyFinality } from "../../src/voteAggregator.ts";
import { certify, type TestNetwork, testHeader, testNetwork } from "../support/fixtures.ts";

const SHARD = "consensus-0";
const logger = createLogger({
  service: "consensus-test",
  level: process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "silent",
});

function newLane(): LaneNames {
  const tag = randomBytes(4).toString("hex");
  return { subjectRoot: `c${tag}`, streamPrefix: `C${tag}`, leaseBucket: `lease_${tag}` };
}

async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("consensus shard (real NATS and Redis)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let redis: RedisHandle;
  const lanes: LaneNames[] = [];
  const redisKeys: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: "127.0.0.1:4222" });
    jsm = await nc.jetstreamManager();
    redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger });
  });

  afterAll(async () => {
    for (const lane of lanes) {
      for (const s of consensusStreams(lane, SHARD, 1))
        await jsm.streams.delete(s.name).catch(() => undefined);
      await jsm.streams.delete(`KV_${lane.leaseBucket}`).catch(() => undefined);
    }
    if (redisKeys.length > 0) await redis.redis.del(...redisKeys);
    await redis?.close();
    await nc?.drain();
  });

  /** Certifies `headers`, records them in Redis as the attester would, publishes the envelope. */
  async function submit(lane: LaneNames, net: TestNetwork, headers: BlobHeader[], signers = [0, 1, 2]) {
    const { certificate, keys, proofs } = certify(net, headers, signers);
    const inclusions = proofs.map((p, i) => inclusionToProto({ blobIndex: i, proof: p }));
    for (const [i, key] of keys.entries()) {
      const k = blobStatusKey(key);
      redisKeys.push(k, `tributary:ns:${Buffer.from(headers[i]!.namespace).toString("hex")}:${SHARD}`);
      await redis.redis.hset(
        k,
        "status",
        "CERTIFIED",
        "rank",
        "2",
        "header",
        Buffer.from(encodeBlobHeader(headers[i]!)).toString("hex"),
        "inclusion",
        Buffer.from(toBinary(BlobInclusionSchema, inclusions[i]!)).toString("base64"),
      );
    }
    const envelope = create(CertificateEnvelopeSchema, {
      certificate: certificateToProto(certificate),
      blobs: headers.map((h, i) => ({ header: blobHeaderToProto(h), inclusion: inclusions[i]! })),
      batchBlobCount: headers.length,
    });
    await nc.jetstream().publish(certsSubject(lane, SHARD), toBinary(CertificateEnvelopeSchema, envelope));
    return keys;
  }

  it("two racing proposers: exactly one block per height, a gap-free chain, every blob once", async () => {
    const lane = newLane();
    lanes.push(lane);
    const net = testNetwork(1, SHARD, 1);
    for (const s of consensusStreams(lane, SHARD, 1)) await ensureStream(jsm, s);
    const membership = { current: net.epoch, epoch: async (_n: number) => net.epoch };
    const blocks = new BlockStream(blocksStream(lane, SHARD), { jsm, js: nc.jetstream() });
    const statusWriter = new StatusWriter(SHARD, {
      store: new BlobStatusStore(redis.redis),
      redis: redis.redis,
    });
    const metrics = [createStandaloneConsensusShardMetrics(), createStandaloneConsensusShardMetrics()];
    const proposers = [0, 1].map(
      (i) =>
        new Proposer(
          {
            shardId: SHARD,
            validatorId: `${SHARD}-v${i}`,
            lane,
            blockIntervalMs: 20,
            maxBlockEntries: 2,
            certsAckWaitMs: 30_000,
          },
          { logger, metrics: metrics[i]!, nc, blocks, membership, statusWriter },
        ),
    );
    await Promise.all(proposers.map((p) => p.start()));
    const keys = new Set<string>();
    for (let i = 0; i < 12; i++) {
      for (const k of await submit(lane, net, [testHeader(1, 100 + i)]))
        keys.add(Buffer.from(k).toString("hex"));
    }
    const seen = new Map<string, number>();
    await waitFor(
      async () => {
        seen.clear();
        const top = await blocks.headHeight();
        for (let h = 1; h <= top; h++) {
          for (const e of (await blocks.get(h))!.block.entries)
            for (const k of e.blobKeys) {
              const hex = Buffer.from(k).toString("hex");
              seen.set(hex, (seen.get(hex) ?? 0) + 1);
            }
        }
        return [...keys].every((k) => seen.has(k)) ? true : undefined;
      },
      20_000,
      "all blobs ordered",
    );
    await Promise.all(proposers.map((p) => p.stop()));
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const info = await jsm.streams.info(blocksStream(lane, SHARD));
    let head = GENESIS_HEAD;
    for (let h = 1; h <= info.state.last_seq; h++) {
      const { block } = (await blocks.get(h))!;
      expect(block.height).toBe(h);
      expect(checkBlockLink(head, block, SHARD)).toEqual({ ok: true });
      head = { height: h, hash: block.hash };
    }
    expect(info.state.messages).toBe(info.state.last_seq);
    const published = (await Promise.all(metrics.map((m) => m.blocksPublished.get()))).map(
      (g) => g.values[0]?.value ?? 0,
    );
    expect(published[0]! + published[1]!).toBe(info.state.last_seq);
  });

  describe("three validators", () => {
    const lane = newLane();
    let net: TestNetwork;
    let nodes: ConsensusShardNode[];
    const sampler = (() => {
      const sk = secretKeyFromSeed(randomBytes(32));
      return { id: "sampler-0", sk, pk: publicKeyOf(sk), pop: proveProofOfPossession(sk) };
    })();
    const metrics = [0, 1, 2].map(() => createStandaloneConsensusShardMetrics());

    beforeAll(async () => {
      lanes.push(lane);
      net = testNetwork(2, SHARD, 3);
      const membership = { current: net.epoch as EpochMembership, epoch: async (_n: number) => net.epoch };
      nodes = net.validators.map(
        (v, i) =>
          new ConsensusShardNode(
            {
              shardId: SHARD,
              validatorId: v.id,
              secretKey: v.secretKey,
              lane,
              replicas: 1,
              blockIntervalMs: 100,
              maxBlockEntries: 1024,
              leaseRenewMs: 200,
              leaseTtlMs: 1500,
              certsAckWaitMs: 30_000,
              samplerKeys: new Map([[sampler.id, sampler.pk]]),
              blobInfoRetries: 20,
              blobInfoRetryMs: 100,
            },
            {
              logger,
              metrics: metrics[i]!,
              nc,
              redis: redis.redis,
              statusStore: new BlobStatusStore(redis.redis),
              membership,
            },
          ),
      );
      for (const n of nodes) await n.start();
      await waitFor(async () => (nodes.some((n) => n.isLeader) ? true : undefined), 10_000, "a leader");
    });

    afterAll(async () => {
      await Promise.all((nodes ?? []).map((n) => n.close()));
    });

    function report(key: Uint8Array, passed: boolean, signWith = sampler.sk) {
      const r = create(SampleReportSchema, {
        blobKey: key,
        epoch: 2n,
        samples: 16,
        failedCells: passed ? [] : [{ row: 0, column: 1, code: "SAMPLER_ERROR_PROOF_INVALID" }],
        passed,
        confidence: passed ? 0.99 : 0,
        samplerId: sampler.id,
        sampledAtMs: BigInt(Date.now()),
      });
      // Published the way the sampler does: a batch (here of one) with one signature.
      const batch = create(SampleReportBatchSchema, {
        reports: [r],
        signature: signSampleReportBatch(signWith, [r]),
      });
      return nc.jetstream().publish(samplesSubject(lane, SHARD), toBinary(SampleReportBatchSchema, batch));
    }

    it("one lease holder; finality after passing sample reports and 2/3 of the votes", async () => {
      expect(nodes.filter((n) => n.isLeader)).toHaveLength(1);
      const headers = [testHeader(2, 300), testHeader(2, 5000)];
      const keys = await submit(lane, net, headers);
      const store = new BlobStatusStore(redis.redis);
      const confirmed = await waitFor(
        async () => {
          const r = await store.get(keys[1]!);
          return r?.status === "CONFIRMED" ? r : undefined;
        },
        10_000,
        "CONFIRMED",
      );
      expect(confirmed.fields).toMatchObject({ shard: SHARD, height: "1", index: "1" });
      // No finality without sampling; a failed or badly signed report does not count.
      await report(keys[0]!, false);
      await report(keys[1]!, true, secretKeyFromSeed(randomBytes(32)));
      await report(keys[1]!, true);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await store.get(keys[0]!))?.status).toBe("CONFIRMED");
      await report(keys[0]!, true);
      for (const key of keys) {
        await waitFor(
          async () => ((await store.get(key))?.status === "FINALIZED" ? true : undefined),
          15_000,
          "FINALIZED",
        );
      }
      const final = await store.get(keys[0]!);
      expect(final?.fields).toMatchObject({ shard: SHARD, height: "1", index: "0" });
      const nsKey = `tributary:ns:${Buffer.from(headers[0]!.namespace).toString("hex")}:${SHARD}`;
      expect(await redis.redis.zscore(nsKey, Buffer.from(keys[0]!).toString("hex"))).toBe(String(2 ** 20));
      const msg = await jsm.streams.getMessage(finalityStream(lane), {
        last_by_subj: `${lane.subjectRoot}.finality.${SHARD}`,
      });
      const event = fromBinary(FinalityEventSchema, msg.data);
      expect(event.height).toBe(1n);
      expect(Buffer.from(event.blockHash).toString("hex")).toBe(final?.fields.blockHash);
      expect(
        verifyFinality(net.epoch.consensusShards[0]!.validators, event.blockHash, {
          validatorBitmap: event.validatorBitmap,
          aggregateSignature: event.aggregateSignature,
        }),
      ).toBe(true);
    });

    it("a certificate below the threshold is rejected and never ordered", async () => {
      const leaderIndex = nodes.findIndex((n) => n.isLeader);
      const before =
        (await metrics[leaderIndex]!.certificates.get()).values.find((v) => v.labels.result === "rejected")
          ?.value ?? 0;
      const keys = await submit(lane, net, [testHeader(2, 700)], [0]);
      await waitFor(
        async () => {
          const v =
            (await metrics[leaderIndex]!.certificates.get()).values.find(
              (x) => x.labels.result === "rejected",
            )?.value ?? 0;
          return v > before ? true : undefined;
        },
        10_000,
        "rejection",
      );
      await new Promise((r) => setTimeout(r, 500));
      const blocks = nodes[0]!.blocks;
      const top = await blocks.headHeight();
      for (let h = 1; h <= top; h++) {
        for (const e of (await blocks.get(h))!.block.entries) {
          expect(e.blobKeys.some((k) => Buffer.from(k).equals(Buffer.from(keys[0]!)))).toBe(false);
        }
      }
      expect((await new BlobStatusStore(redis.redis).get(keys[0]!))?.status).toBe("CERTIFIED");
    });
  });
});
