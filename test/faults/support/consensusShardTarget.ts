/**
 * A consensus-shard validator (ConsensusShardNode, the only validator of its shard, so it leads)
 * and its gRPC service on a loopback port, as main.ts wires them, on real NATS JetStream (a lane
 * of streams and a lease bucket unique to the run) and real Redis. One blob is certified and
 * ordered, so hostile requests can name a real certificate, blob and block.
 */
import { randomBytes } from "node:crypto";
import { ConsensusShard } from "../../../proto/src/gen/tributary/consensus/v1/consensus_pb.ts";
import { Code, certificateToProto, createClient, inclusionToProto } from "../../../proto/src/index.ts";
import type { ClosableTarget } from "../../../proto/test/fuzz/handlerFuzz.ts";
import { RedisBlobInfo } from "../../../services/consensus-shard/src/blobInfo.ts";
import { ConsensusShardNode } from "../../../services/consensus-shard/src/consensusShard.ts";
import { addConsensusShardService } from "../../../services/consensus-shard/src/grpcService.ts";
import { consensusStreams, type LaneNames } from "../../../services/consensus-shard/src/lane.ts";
import { createStandaloneConsensusShardMetrics } from "../../../services/consensus-shard/src/metrics.ts";
import { certify, testHeader, testNetwork } from "../../../services/consensus-shard/test/support/fixtures.ts";
import { type BlobHeader, encodeBlobHeader } from "../../../services/protocol/src/index.ts";
import {
  BlobStatusStore,
  blobStatusKey,
  connectNats,
  connectRedis,
  createGrpcServer,
  createLogger,
  type RedisHandle,
} from "../../../services/runtime/src/index.ts";

export const SHARD = "consensus-0";

/** A SubmitCertificate request, as the tests build and tamper with it. */
export type CertifiedRequest = {
  certificate: ReturnType<typeof certificateToProto>;
  blobs: { blobKey: Uint8Array; namespace: Uint8Array; inclusion: ReturnType<typeof inclusionToProto> }[];
};

export type ConsensusShardTarget = ClosableTarget & {
  /** A SubmitCertificate request over `headers` signed by the storage shards `signers`; the blobs are recorded. */
  certifiedRequest(headers: readonly BlobHeader[], signers: readonly number[]): Promise<CertifiedRequest>;
  readonly network: ReturnType<typeof testNetwork>;
  readonly lane: LaneNames;
  readonly node: ConsensusShardNode;
};

/** Records `headers` in Redis as the attester does when it certifies them. */
async function recordCertified(redis: RedisHandle, keys: Set<string>, header: BlobHeader, key: Uint8Array) {
  keys.add(blobStatusKey(key));
  keys.add(`tributary:ns:${Buffer.from(header.namespace).toString("hex")}:${SHARD}`);
  await redis.redis.hset(
    blobStatusKey(key),
    "status",
    "CERTIFIED",
    "rank",
    "2",
    "header",
    Buffer.from(encodeBlobHeader(header)).toString("hex"),
  );
}

export async function startConsensusShardTarget(): Promise<ConsensusShardTarget> {
  const logger = createLogger({ service: "faults-consensus", level: "silent" });
  const tag = randomBytes(4).toString("hex");
  const lane = {
    subjectRoot: `faults${tag}`,
    streamPrefix: `FAULTS${tag}`,
    leaseBucket: `faults_lease_${tag}`,
  };
  const network = testNetwork(1, SHARD, 1);
  const membership = { current: network.epoch, epoch: async (_n: number) => network.epoch };
  const nats = await connectNats(
    { servers: "nats://127.0.0.1:4222", name: `faults-consensus-${tag}` },
    { logger },
  );
  const redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger });
  const redisKeys = new Set<string>();
  const validator = network.validators[0]!;
  const node = new ConsensusShardNode(
    {
      shardId: SHARD,
      validatorId: validator.id,
      secretKey: validator.secretKey,
      lane,
      replicas: 1,
      blockIntervalMs: 50,
      maxBlockEntries: 1024,
      leaseRenewMs: 200,
      leaseTtlMs: 1500,
      certsAckWaitMs: 30_000,
      samplerKeys: new Map(),
      blobInfoRetries: 2,
      blobInfoRetryMs: 50,
    },
    {
      logger,
      metrics: createStandaloneConsensusShardMetrics(),
      nc: nats.nc,
      redis: redis.redis,
      statusStore: new BlobStatusStore(redis.redis),
      membership,
    },
  );
  await node.start();
  const grpc = createGrpcServer({}, { logger });
  addConsensusShardService(
    grpc.server,
    { shardId: SHARD, lane },
    {
      logger,
      nc: nats.nc,
      blocks: node.blocks,
      finality: node.finality,
      membership,
      blobInfo: new RedisBlobInfo(redis.redis),
      verified: node.verifiedCertificates,
    },
  );
  const address = `127.0.0.1:${await grpc.bind("127.0.0.1", 0)}`;
  const client = createClient(ConsensusShard, address);

  const certifiedRequest = async (
    headers: readonly BlobHeader[],
    signers: readonly number[],
  ): Promise<CertifiedRequest> => {
    const { certificate, keys, proofs } = certify(network, headers, signers);
    for (const [i, key] of keys.entries()) await recordCertified(redis, redisKeys, headers[i]!, key);
    return {
      certificate: certificateToProto(certificate),
      blobs: headers.map((h, i) => ({
        blobKey: keys[i]!,
        namespace: h.namespace,
        inclusion: inclusionToProto({ blobIndex: i, proof: proofs[i]! }),
      })),
    };
  };
  // One blob ordered into block 1 before fuzzing starts.
  const valid = await certifiedRequest([testHeader(1, 1500)], [0, 1, 2]);
  await client.submitCertificate(valid);
  const deadline = Date.now() + 15_000;
  while ((await node.blocks.headHeight()) < 1) {
    if (Date.now() > deadline) throw new Error("no block within 15 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  const belowThreshold = await certifiedRequest([testHeader(1, 900)], [0]);
  const blob = valid.blobs[0]!;

  return {
    address,
    service: ConsensusShard,
    network,
    lane,
    node,
    certifiedRequest,
    pools: { bytes: [blob.blobKey], strings: [SHARD] },
    methods: {
      submitCertificate: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION],
        seeds: [[valid], [belowThreshold]],
      },
      getBlock: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND],
        seeds: [[{ height: 1n }], [{ height: 0n }]],
      },
      streamBlocks: {
        // It follows the head until the client gives up: ending at the deadline is its contract.
        allowed: [Code.DEADLINE_EXCEEDED, Code.INVALID_ARGUMENT],
        seeds: [[{ fromHeight: 1n }], [{ fromHeight: 1n, finalizedOnly: true }]],
        deadlineMs: 150,
        share: 0.1,
      },
    },
    async probe() {
      const res = await client.getBlock({ height: 1n });
      if (res.block?.height !== 1n) throw new Error("probe: GetBlock lost block 1");
    },
    async close() {
      client.$close();
      await grpc.shutdown(2000);
      await node.close();
      const jsm = await nats.nc.jetstreamManager();
      for (const s of consensusStreams(lane, SHARD, 1))
        await jsm.streams.delete(s.name).catch(() => undefined);
      await jsm.streams.delete(`KV_${lane.leaseBucket}`).catch(() => undefined);
      if (redisKeys.size > 0) await redis.redis.del(...redisKeys);
      await redis.close();
      await nats.close();
    },
  };
}
