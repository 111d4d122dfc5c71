/**
 * Disperser process: parses config, wires the pieces, handles signals. Nothing else.
 *   node services/disperser/src/main.ts   (env TRIBUTARY_DISPERSER_*, or --config file.json)
 */
import { ClientPool } from "@tributary/proto";
import { Disperser } from "@tributary/proto/tributary/disperser/v1/disperser";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import {
  BlobStatusStore,
  createGrpcServer,
  createLogger,
  createMetrics,
  grpcClientOptions,
  loadConfig,
  openFoundation,
  openRedis,
  runService,
} from "@tributary/runtime";
import { limitsResolver } from "./accountLimits.ts";
import { DISPERSER_SERVICE, disperserConfigSchema } from "./config.ts";
import { Dispersal } from "./dispersal.ts";
import { createDisperserService } from "./disperserService.ts";
import { openEncodedEvents } from "./encodedEvents.ts";
import { EncoderPool } from "./encoderPool.ts";
import { HealthService } from "./grpcHealth.ts";
import { addReflection } from "./grpcReflection.ts";
import { createDisperserMetrics } from "./metrics.ts";
import { NonceRegistry, nonceTtlMs } from "./nonceRegistry.ts";
import { Retrieval } from "./retrieval.ts";
import { TokenBucket } from "./tokenBucket.ts";

const config = loadConfig(disperserConfigSchema, { service: DISPERSER_SERVICE, argv: process.argv.slice(2) });
const logger = createLogger({ service: DISPERSER_SERVICE, level: config.log.level });

runService({
  name: DISPERSER_SERVICE,
  logger,
  start: async ({ signal, addCloser }) => {
    const metrics = createDisperserMetrics(createMetrics({ service: DISPERSER_SERVICE }));
    const { admin, nats, membership } = await openFoundation(
      {
        name: DISPERSER_SERVICE,
        admin: config.admin,
        nats: config.nats,
        membershipWaitMs: config.membershipWaitMs,
      },
      { logger, registry: metrics.registry, signal, addCloser },
    );
    const redis = await openRedis(
      { url: config.redis.url, name: DISPERSER_SERVICE },
      { logger, admin, addCloser },
    );
    const publisher = await openEncodedEvents(nats.nc, {
      stream: config.events.encodedStream,
      subject: config.events.encodedSubject,
      replicas: config.events.replicas,
      publishTimeoutMs: config.events.publishTimeoutMs,
    });

    const encoders = new EncoderPool({
      endpoints: config.encoders,
      maxMessageBytes: config.grpc.maxMessageBytes,
    });
    addCloser({ name: "encoders", close: () => encoders.close() });
    const storage = new ClientPool(StorageShard, {
      channelOptions: grpcClientOptions({ maxMessageBytes: config.grpc.maxMessageBytes }),
    });
    addCloser({ name: "storage-clients", close: () => storage.close() });
    membership.onChange((epoch) => storage.retainOnly(new Set(epoch.storageShards.map((s) => s.endpoint))));

    const store = new BlobStatusStore(redis.redis, { transitions: metrics.statusTransitions });
    if (config.auth.allowAnonymous) {
      logger.warn("Anonymous dispersal is enabled: submissions without AccountAuth are accepted", {
        anonymousAccount: "0x0000000000000000000000000000000000000000",
      });
    }
    const dispersal = new Dispersal(
      {
        preset: config.preset,
        allowAnonymous: config.auth.allowAnonymous,
        limitsFor: limitsResolver(config.quotas, {
          maxBlobBytes: config.maxBlobBytes,
          retention: config.retention,
        }),
        maxClockSkewMs: config.auth.maxClockSkewMs,
        epochGraceMs: config.auth.epochGraceMs,
        encodeTimeoutMs: config.encodeTimeoutMs,
        publishTimeoutMs: config.events.publishTimeoutMs,
        requestTtlSeconds: config.requestTtlSeconds,
      },
      {
        logger,
        metrics,
        redis: redis.redis,
        store,
        encoders,
        publisher,
        nonces: new NonceRegistry({ ttlMs: nonceTtlMs(config.auth.maxClockSkewMs) }, { redis: redis.redis }),
        quota: new TokenBucket({}, { redis: redis.redis }),
        membership,
      },
    );
    const retrieval = new Retrieval(config.retrieval, { logger, metrics, store, membership, storage });

    const grpc = createGrpcServer(
      {
        maxMessageBytes: config.grpc.maxMessageBytes,
        flowControlWindowBytes: config.grpc.flowControlWindowBytes,
        keepaliveTimeMs: config.grpc.keepaliveTimeMs,
        keepaliveTimeoutMs: config.grpc.keepaliveTimeoutMs,
      },
      { logger },
    );
    const service = createDisperserService(
      {
        namespaceDefaultLimit: config.namespaceList.defaultLimit,
        namespaceMaxLimit: config.namespaceList.maxLimit,
      },
      { logger, metrics, dispersal, retrieval, store, redis: redis.redis, membership },
    );
    grpc.server.addService(service.definition, service.implementation);
    const health = new HealthService([Disperser.typeName]);
    health.addTo(grpc.server);
    addReflection(grpc.server, [Disperser]);
    await grpc.bind(config.grpc.host, config.grpc.port);
    return [
      {
        name: "grpc",
        close: () => {
          health.shutdown();
          return grpc.shutdown(config.grpc.shutdownTimeoutMs);
        },
      },
    ];
  },
});
