/**
 * Encoder process: parses config, wires the pieces, handles signals. Nothing else.
 *   node services/encoder/src/main.ts   (env TRIBUTARY_ENCODER_*, or --config file.json)
 */
import { ClientPool } from "@tributary/proto";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import {
  createGrpcServer,
  createLogger,
  createMetrics,
  grpcClientOptions,
  loadConfig,
  openFoundation,
  runService,
} from "@tributary/runtime";
import { ENCODER_SERVICE, encoderConfigSchema } from "./config.ts";
import { Dispersal } from "./dispersal.ts";
import { createEncodeService } from "./encodeService.ts";
import { createEncoderMetrics } from "./metrics.ts";
import { SquarePool } from "./squarePool.ts";

const config = loadConfig(encoderConfigSchema, { service: ENCODER_SERVICE, argv: process.argv.slice(2) });
const logger = createLogger({ service: ENCODER_SERVICE, level: config.log.level });

runService({
  name: ENCODER_SERVICE,
  logger,
  start: async ({ signal, addCloser }) => {
    const metrics = createEncoderMetrics(createMetrics({ service: ENCODER_SERVICE }));
    const { membership } = await openFoundation(
      {
        name: ENCODER_SERVICE,
        admin: config.admin,
        nats: config.nats,
        membershipWaitMs: config.membershipWaitMs,
      },
      { logger, registry: metrics.registry, signal, addCloser },
    );

    const storage = new ClientPool(StorageShard, {
      channelOptions: grpcClientOptions({ maxMessageBytes: config.grpc.maxMessageBytes }),
    });
    addCloser({ name: "storage-clients", close: () => storage.close() });
    membership.onChange((epoch) => {
      storage.retainOnly(new Set(epoch.storageShards.map((s) => s.endpoint)));
      logger.info("Epoch changed", { epoch: epoch.epoch, storageShards: epoch.storageShards.length });
    });

    const pool = new SquarePool(config.squarePool);
    const dispersal = new Dispersal(
      {
        preset: config.preset,
        maxBlobBytes: config.maxBlobBytes,
        storeTimeoutMs: config.storeTimeoutMs,
        epochGraceMs: config.epochGraceMs,
      },
      { logger, metrics, membership, storage, pool },
    );

    const grpc = createGrpcServer(
      {
        maxMessageBytes: config.grpc.maxMessageBytes,
        flowControlWindowBytes: config.grpc.flowControlWindowBytes,
        keepaliveTimeMs: config.grpc.keepaliveTimeMs,
        keepaliveTimeoutMs: config.grpc.keepaliveTimeoutMs,
      },
      { logger },
    );
    const service = createEncodeService({ logger, metrics, dispersal });
    grpc.server.addService(service.definition, service.implementation);
    await grpc.bind(config.grpc.host, config.grpc.port);
    return [{ name: "grpc", close: () => grpc.shutdown(config.grpc.shutdownTimeoutMs) }];
  },
});
