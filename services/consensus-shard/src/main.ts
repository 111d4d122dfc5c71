/**
 * Consensus-shard validator entry point: parses config, wires the components, handles signals.
 *   TRIBUTARY_CONSENSUS_SHARD_SHARD_ID=consensus-0 TRIBUTARY_CONSENSUS_SHARD_VALIDATOR_ID=consensus-0-v0 \
 *   TRIBUTARY_CONSENSUS_SHARD_BLS_SEED_FILE=... node services/consensus-shard/src/main.ts
 */
import { readFileSync } from "node:fs";
import { secretKeyFromSeed } from "@tributary/protocol";
import {
  BlobStatusStore,
  createGrpcServer,
  createLogger,
  createMetrics,
  loadConfig,
  openFoundation,
  openRedis,
  runService,
} from "@tributary/runtime";
import { RedisBlobInfo } from "./blobInfo.ts";
import { CONSENSUS_SHARD_SERVICE, consensusShardConfigSchema } from "./config.ts";
import { ConsensusShardNode } from "./consensusShard.ts";
import { addConsensusShardService } from "./grpcService.ts";
import { createConsensusShardMetrics } from "./metrics.ts";

const config = loadConfig(consensusShardConfigSchema, {
  service: CONSENSUS_SHARD_SERVICE,
  argv: process.argv.slice(2),
});
const logger = createLogger({ service: CONSENSUS_SHARD_SERVICE, level: config.log.level });

runService({
  name: CONSENSUS_SHARD_SERVICE,
  logger,
  start: async ({ signal, addCloser }) => {
    const seed = Buffer.from(readFileSync(config.blsSeedFile, "utf8").trim(), "hex");
    const secretKey = secretKeyFromSeed(new Uint8Array(seed));
    const metrics = createConsensusShardMetrics(createMetrics({ service: CONSENSUS_SHARD_SERVICE }));
    const name = `${config.shardId}/${config.validatorId}`;
    const { admin, nats, membership } = await openFoundation(
      { name: name, admin: config.admin, nats: config.nats, membershipWaitMs: config.membershipWaitMs },
      { logger, registry: metrics.registry, signal, addCloser },
    );
    const redis = await openRedis({ url: config.redis.url, name: name }, { logger, admin, addCloser });
    const lane = {
      subjectRoot: config.nats.subjectRoot,
      streamPrefix: config.nats.streamPrefix,
      leaseBucket: config.nats.leaseBucket,
    };
    const blobInfo = new RedisBlobInfo(redis.redis);
    const node = new ConsensusShardNode(
      {
        ...config,
        secretKey,
        lane,
        replicas: config.nats.replicas,
        samplerKeys: new Map(
          Object.entries(config.samplerKeys).map(([id, hex]) => [
            id,
            new Uint8Array(Buffer.from(hex, "hex")),
          ]),
        ),
      },
      {
        logger,
        metrics,
        nc: nats.nc,
        redis: redis.redis,
        statusStore: new BlobStatusStore(redis.redis, { transitions: metrics.statusTransitions }),
        membership,
        blobInfo,
      },
    );
    await node.start();
    addCloser({ name: "consensus-shard", close: () => node.close() });
    const grpc = createGrpcServer(config.grpc, { logger });
    addConsensusShardService(
      grpc.server,
      { shardId: config.shardId, lane },
      {
        logger,
        nc: nats.nc,
        blocks: node.blocks,
        finality: node.finality,
        membership,
        blobInfo,
        verified: node.verifiedCertificates,
      },
    );
    await grpc.bind(config.grpc.host, config.grpc.port);
    addCloser({ name: "grpc", close: () => grpc.shutdown(config.grpc.shutdownTimeoutMs) });
    return [];
  },
});
