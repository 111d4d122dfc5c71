/**
 * Storage shard entry point: config, logger, metrics, admin server, column store, membership,
 * gRPC server, retention timer, and SIGTERM handling through runService. Wiring only.
 */
import { readFile } from "node:fs/promises";
import { secretKeyFromSeed } from "@tributary/protocol";
import {
  connectNats,
  createGrpcServer,
  createLogger,
  createMetrics,
  loadConfig,
  MembershipView,
  runService,
  startAdminServer,
} from "@tributary/runtime";
import { ColumnStore } from "./columnStore.ts";
import { type StorageShardConfig, storageShardConfigSchema } from "./config.ts";
import { createStorageShardMetrics, STORAGE_SHARD_SERVICE } from "./metrics.ts";
import { addStorageService } from "./storageService.ts";
import { columnDigest, StorageShard } from "./storageShard.ts";

const config: StorageShardConfig = loadConfig(storageShardConfigSchema, {
  service: STORAGE_SHARD_SERVICE,
  argv: process.argv.slice(2),
});
const logger = createLogger({ service: STORAGE_SHARD_SERVICE, level: config.log.level });

runService({
  name: STORAGE_SHARD_SERVICE,
  logger,
  start: async ({ signal, addCloser }) => {
    const metrics = createStorageShardMetrics(createMetrics({ service: STORAGE_SHARD_SERVICE }), {
      dataDir: config.dataDir,
    });
    const admin = await startAdminServer(
      { host: config.admin.host, port: config.admin.port },
      { logger, registry: metrics.registry },
    );
    addCloser({ name: "admin", close: admin.close });
    let grpcBound = false;
    admin.readiness.add("grpc", () => grpcBound);

    const secretKey = secretKeyFromSeed(await readSeed(config.blsSeedFile));
    const store = await ColumnStore.open(
      {
        dataDir: config.dataDir,
        maxSegmentBytes: config.maxSegmentBytes,
        maxStoreBytes: config.maxStoreBytes,
        digest: columnDigest,
        directIo: config.directIo,
      },
      { logger, metrics },
    );
    addCloser({ name: "columnStore", close: () => store.close() });
    admin.readiness.add("index", () => true);

    const nats = await connectNats({ servers: config.nats.servers, name: config.shardId }, { logger });
    addCloser({ name: "nats", close: nats.close });
    const view = await MembershipView.open(nats.nc.jetstream(), { waitMs: 120_000, signal });
    addCloser({ name: "membership", close: () => view.close() });
    // An unknown epoch is an answer (FAILED_PRECONDITION), not an error of the shard.
    const membership = { getEpoch: (n: number) => view.epoch(n).catch(() => undefined) };

    const shard = new StorageShard(
      { shardId: config.shardId, secretKey },
      { store, membership, logger, metrics },
    );
    const sweep = setInterval(() => {
      shard.sweepExpired().catch((err: unknown) => logger.error("Retention sweep failed", { err }));
    }, config.retentionSweepIntervalMs);
    addCloser({ name: "retention", close: () => clearInterval(sweep) });

    const grpc = createGrpcServer(config.grpc, { logger });
    addStorageService(grpc.server, { shard, logger });
    await grpc.bind(config.grpc.host, config.grpc.port);
    grpcBound = true;
    addCloser({ name: "grpc", close: () => grpc.shutdown(config.grpc.shutdownTimeoutMs) });
    logger.info("Storage shard ready", { shardId: config.shardId, publicKey: hex(shard.publicKey) });
    return [];
  },
});

async function readSeed(path: string): Promise<Uint8Array> {
  const text = (await readFile(path, "utf8")).trim().replace(/^0x/, "");
  if (!/^[0-9a-fA-F]{64}$/.test(text))
    throw new Error(`${path} must hold a 32-byte seed as 64 hex characters`);
  return new Uint8Array(Buffer.from(text, "hex"));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
