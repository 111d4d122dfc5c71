/**
 * Test harness: an in-process Encoder gRPC server on an ephemeral loopback port, wired as
 * main.ts wires it but with a fixed membership (no NATS KV), plus test-only in-memory storage
 * shards (see memoryStorageShard.ts). Used by the encoder's and the disperser's integration tests.
 */
import { Writable } from "node:stream";
import { ClientPool } from "@tributary/proto";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import type { EpochMembership } from "@tributary/protocol";
import { createGrpcServer, createLogger, type GrpcServer, grpcClientOptions } from "@tributary/runtime";
import { Dispersal, type MembershipSource } from "../../src/dispersal.ts";
import { createEncodeService } from "../../src/encodeService.ts";
import { createStandaloneEncoderMetrics, type EncoderMetrics } from "../../src/metrics.ts";
import { SquarePool } from "../../src/squarePool.ts";
import { MemoryStorageShard } from "./memoryStorageShard.ts";
import { testEpoch } from "./testEpoch.ts";

export const silentLogger = createLogger({
  service: "test",
  level: "warn",
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

/** Starts `count` memory shards and an epoch naming them. */
export async function startShards(
  count: number,
  opts: { epoch?: number; replication: number; columnMargin?: number },
): Promise<{ shards: MemoryStorageShard[]; epoch: EpochMembership; epochs: Map<number, EpochMembership> }> {
  const epochs = new Map<number, EpochMembership>();
  const shards = Array.from(
    { length: count },
    (_, i) => new MemoryStorageShard({ shardId: `storage-${i}`, epochs }),
  );
  await Promise.all(shards.map((s) => s.start()));
  const epoch = testEpoch({
    epoch: opts.epoch ?? 1,
    replication: opts.replication,
    columnMargin: opts.columnMargin ?? 0,
    shards: shards.map((s) => ({ id: s.shardId, endpoint: s.endpoint })),
  });
  epochs.set(epoch.epoch, epoch);
  return { shards, epoch, epochs };
}

/** The header fields a caller of EncodeBlob chooses (epoch 0: the encoder's current one). */
export function encodeHeaderInit(namespace: Uint8Array, epoch = 0n) {
  return {
    version: 1,
    namespace,
    account: new Uint8Array(20),
    nonce: 7n,
    timestampMs: BigInt(Date.now()),
    retentionSeconds: 3600n,
    epoch,
    preset: "devnet",
  };
}

export type EncoderHarness = {
  port: number;
  endpoint: string;
  metrics: EncoderMetrics;
  stop(): Promise<void>;
};

export async function startEncoder(
  membership: MembershipSource,
  opts: { maxBlobBytes?: number; storeTimeoutMs?: number } = {},
): Promise<EncoderHarness> {
  const metrics = createStandaloneEncoderMetrics();
  const storage = new ClientPool(StorageShard, { channelOptions: grpcClientOptions() });
  const dispersal = new Dispersal(
    {
      preset: "devnet",
      maxBlobBytes: opts.maxBlobBytes ?? 32 * 1024 * 1024,
      storeTimeoutMs: opts.storeTimeoutMs ?? 20_000,
      epochGraceMs: 30_000,
    },
    {
      logger: silentLogger,
      metrics,
      membership,
      storage,
      pool: new SquarePool({ maxIdlePerGeometry: 1, maxIdleBytes: 128 * 1024 * 1024 }),
    },
  );
  const grpc: GrpcServer = createGrpcServer({}, { logger: silentLogger });
  const service = createEncodeService({ logger: silentLogger, metrics, dispersal });
  grpc.server.addService(service.definition, service.implementation);
  const port = await grpc.bind("127.0.0.1", 0);
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    metrics,
    stop: async () => {
      await grpc.shutdown(2000);
      storage.close();
    },
  };
}
