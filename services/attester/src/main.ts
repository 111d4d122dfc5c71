/**
 * Attester entry point: parses config, wires the components, handles signals. Nothing else.
 *   node services/attester/src/main.ts [--config attester.json]
 */
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
import { Attester } from "./attester.ts";
import { ATTESTER_SERVICE, attesterConfigSchema } from "./config.ts";
import { addAttesterService } from "./grpcService.ts";
import { createAttesterMetrics } from "./metrics.ts";
import { GrpcBatchSigner } from "./storageSigner.ts";

const config = loadConfig(attesterConfigSchema, { service: ATTESTER_SERVICE, argv: process.argv.slice(2) });
const logger = createLogger({ service: ATTESTER_SERVICE, level: config.log.level });

runService({
  name: ATTESTER_SERVICE,
  logger,
  start: async ({ signal, addCloser }) => {
    const metrics = createAttesterMetrics(createMetrics({ service: ATTESTER_SERVICE }));
    const { admin, nats, membership } = await openFoundation(
      {
        name: config.attesterId,
        admin: config.admin,
        nats: config.nats,
        membershipWaitMs: config.membershipWaitMs,
      },
      { logger, registry: metrics.registry, signal, addCloser },
    );
    const redis = await openRedis(
      { url: config.redis.url, name: config.attesterId },
      { logger, admin, addCloser },
    );
    const signer = new GrpcBatchSigner();
    addCloser({ name: "storage-clients", close: () => signer.close() });
    const statusStore = new BlobStatusStore(redis.redis, { transitions: metrics.statusTransitions });
    const lane = { subjectRoot: config.nats.subjectRoot, streamPrefix: config.nats.streamPrefix };
    const attester = new Attester(
      { ...config, lane, replicas: config.nats.replicas, certificateTimeoutMs: config.certificateTimeoutMs },
      { logger, metrics, nc: nats.nc, statusStore, membership, signer },
    );
    await attester.start();
    addCloser({ name: "attester", close: () => attester.close() });
    const grpc = createGrpcServer(config.grpc, { logger });
    addAttesterService(grpc.server, lane, { logger, nc: nats.nc, statusStore });
    await grpc.bind(config.grpc.host, config.grpc.port);
    addCloser({ name: "grpc", close: () => grpc.shutdown(config.grpc.shutdownTimeoutMs) });
    return [];
  },
});
