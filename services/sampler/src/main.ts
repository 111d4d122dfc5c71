/**
 * Sampler entry point: parses config, wires the components, handles signals.
 *   TRIBUTARY_SAMPLER_BLS_SEED_FILE=... node services/sampler/src/main.ts
 */
import { readFileSync } from "node:fs";
import { secretKeyFromSeed } from "@tributary/protocol";
import {
  createGrpcServer,
  createLogger,
  createMetrics,
  ensureStream,
  loadConfig,
  openFoundation,
  openRedis,
  runService,
} from "@tributary/runtime";
import { BlobSampler, RedisHeaderSource } from "./blobSampler.ts";
import { BlockFollower } from "./blockFollower.ts";
import { samplerConfigSchema } from "./config.ts";
import { addSamplerService } from "./grpcService.ts";
import { samplesStreamConfig } from "./lane.ts";
import { createSamplerMetrics, SAMPLER_SERVICE } from "./metrics.ts";
import { GrpcCellFetcher } from "./storageCells.ts";

const config = loadConfig(samplerConfigSchema, { service: SAMPLER_SERVICE, argv: process.argv.slice(2) });
const logger = createLogger({ service: SAMPLER_SERVICE, level: config.log.level });

runService({
  name: SAMPLER_SERVICE,
  logger,
  start: async ({ signal, addCloser }) => {
    const seed = Buffer.from(readFileSync(config.blsSeedFile, "utf8").trim(), "hex");
    const secretKey = secretKeyFromSeed(new Uint8Array(seed));
    const metrics = createSamplerMetrics(createMetrics({ service: SAMPLER_SERVICE }));
    const { admin, nats, membership } = await openFoundation(
      {
        name: config.samplerId,
        admin: config.admin,
        nats: config.nats,
        membershipWaitMs: config.membershipWaitMs,
      },
      { logger, registry: metrics.registry, signal, addCloser },
    );
    const redis = await openRedis(
      { url: config.redis.url, name: config.samplerId },
      { logger, admin, addCloser },
    );
    const lane = { subjectRoot: config.nats.subjectRoot, streamPrefix: config.nats.streamPrefix };
    await ensureStream(await nats.nc.jetstreamManager(), samplesStreamConfig(lane, config.nats.replicas));
    const fetcher = new GrpcCellFetcher();
    addCloser({ name: "storage-clients", close: () => fetcher.close() });
    const sampler = new BlobSampler(
      {
        samplerId: config.samplerId,
        secretKey,
        confidence: config.confidence,
        cellTimeoutMs: config.cellTimeoutMs,
      },
      { fetcher, membership, headers: new RedisHeaderSource(redis.redis), metrics },
    );
    const follower = new BlockFollower(
      {
        lane,
        maxConcurrentBlobs: config.maxConcurrentBlobs,
        headerRetries: config.headerRetries,
        headerRetryMs: config.headerRetryMs,
      },
      { logger, metrics, nc: nats.nc, membership, sampler },
    );
    follower.start();
    addCloser({ name: "block-follower", close: () => follower.close() });
    const grpc = createGrpcServer(config.grpc, { logger });
    addSamplerService(grpc.server, { logger, sampler });
    await grpc.bind(config.grpc.host, config.grpc.port);
    addCloser({ name: "grpc", close: () => grpc.shutdown(config.grpc.shutdownTimeoutMs) });
    return [];
  },
});
