/**
 * Test harness: the Disperser gRPC service on an ephemeral loopback port, wired as main.ts wires
 * it, against real Redis and NATS JetStream, an in-process Encoder and TEST-ONLY in-memory
 * storage shards (services/encoder/test/support). Isolation: a unique JetStream stream and
 * subject and unique Redis key prefixes for nonces and token buckets per harness; `stop` deletes
 * the stream and every Redis key under those prefixes plus the keys a test `track`ed.
 */
import { randomBytes } from "node:crypto";
import { ClientPool, createClient, RpcError, type ServiceClient } from "@tributary/proto";
import { Disperser } from "@tributary/proto/tributary/disperser/v1/disperser";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import {
  BlobStatusStore,
  connectNats,
  connectRedis,
  createGrpcServer,
  type GrpcServer,
  grpcClientOptions,
  type NatsHandle,
  type RedisHandle,
} from "@tributary/runtime";
import {
  type EncoderHarness,
  silentLogger,
  startEncoder,
  startShards,
} from "../../../encoder/test/support/encoderHarness.ts";
import type { MemoryStorageShard } from "../../../encoder/test/support/memoryStorageShard.ts";
import { limitsResolver, type QuotaOptions } from "../../src/accountLimits.ts";
import { Dispersal } from "../../src/dispersal.ts";
import { createDisperserService } from "../../src/disperserService.ts";
import { openEncodedEvents } from "../../src/encodedEvents.ts";
import { EncoderPool } from "../../src/encoderPool.ts";
import { HealthService } from "../../src/grpcHealth.ts";
import { addReflection } from "../../src/grpcReflection.ts";
import { createStandaloneDisperserMetrics, type DisperserMetrics } from "../../src/metrics.ts";
import { NonceRegistry, nonceTtlMs } from "../../src/nonceRegistry.ts";
import { Retrieval } from "../../src/retrieval.ts";
import { TokenBucket } from "../../src/tokenBucket.ts";

const MiB = 1024 * 1024;

/** The RpcError a call failed with; throws if it succeeded or failed otherwise. */
export async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

export type DisperserHarnessOptions = {
  allowAnonymous: boolean;
  quotas?: QuotaOptions;
  maxClockSkewMs?: number;
  maxRetentionSeconds?: number;
};

export type DisperserHarness = {
  client: ServiceClient<typeof Disperser>;
  shards: MemoryStorageShard[];
  epoch: number;
  metrics: DisperserMetrics;
  nats: NatsHandle;
  redis: RedisHandle;
  stream: string;
  noncePrefix: string;
  quotaPrefix: string;
  /** Redis keys to delete at `stop`. */
  track(key: string): void;
  stop(): Promise<void>;
};

export const NO_QUOTA: QuotaOptions = { default: { bytesPerSecond: 0, burstBytes: 1 }, accounts: {} };

export async function startDisperser(opts: DisperserHarnessOptions): Promise<DisperserHarness> {
  const run = randomBytes(4).toString("hex");
  const stream = `TEST_DISP_${run}_ENCODED`;
  const noncePrefix = `tributary:test:${run}:nonce:`;
  const quotaPrefix = `tributary:test:${run}:quota:`;
  const tracked = new Set<string>();
  const started = await startShards(4, { replication: 2 });
  const membership = { current: started.epoch, epoch: async (n: number) => started.epochs.get(n)! };
  let encoder: EncoderHarness | undefined;
  let nats: NatsHandle | undefined;
  let redis: RedisHandle | undefined;
  let grpc: GrpcServer | undefined;
  let encoders: EncoderPool | undefined;
  let storage: ClientPool<typeof StorageShard> | undefined;
  let client: ServiceClient<typeof Disperser> | undefined;
  const stop = async () => {
    client?.$close();
    await grpc?.shutdown(2000);
    encoders?.close();
    storage?.close();
    await encoder?.stop();
    for (const s of started.shards) s.stop();
    if (redis !== undefined) {
      for (const prefix of [noncePrefix, quotaPrefix]) {
        let cursor = "0";
        do {
          const [next, keys] = await redis.redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          cursor = next;
          for (const k of keys) tracked.add(k);
        } while (cursor !== "0");
      }
      if (tracked.size > 0) await redis.redis.del(...tracked);
    }
    const jsm = await nats?.nc.jetstreamManager();
    await jsm?.streams.delete(stream).catch(() => undefined);
    await redis?.close();
    await nats?.close();
  };
  try {
    encoder = await startEncoder(membership);
    nats = await connectNats(
      { servers: "nats://127.0.0.1:4222", name: `disperser-test-${run}` },
      { logger: silentLogger },
    );
    redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger: silentLogger });
    const publisher = await openEncodedEvents(nats.nc, {
      stream,
      subject: `test.disp.${run}.encoded`,
      replicas: 1,
      publishTimeoutMs: 5000,
    });
    const metrics = createStandaloneDisperserMetrics();
    const store = new BlobStatusStore(redis.redis);
    // A dead encoder first: DisperseBlob must retry the live one on UNAVAILABLE.
    encoders = new EncoderPool({ endpoints: ["127.0.0.1:1", encoder.endpoint] });
    storage = new ClientPool(StorageShard, { channelOptions: grpcClientOptions() });
    const maxClockSkewMs = opts.maxClockSkewMs ?? 60_000;
    const dispersal = new Dispersal(
      {
        preset: "devnet",
        allowAnonymous: opts.allowAnonymous,
        limitsFor: limitsResolver(opts.quotas ?? NO_QUOTA, {
          maxBlobBytes: 16 * MiB,
          retention: {
            minSeconds: 60,
            maxSeconds: opts.maxRetentionSeconds ?? 7 * 24 * 3600,
            allowPermanent: true,
          },
        }),
        maxClockSkewMs,
        epochGraceMs: 30_000,
        encodeTimeoutMs: 30_000,
        publishTimeoutMs: 5000,
        requestTtlSeconds: 600,
      },
      {
        logger: silentLogger,
        metrics,
        redis: redis.redis,
        store,
        encoders,
        publisher,
        nonces: new NonceRegistry(
          { ttlMs: nonceTtlMs(maxClockSkewMs), prefix: noncePrefix },
          { redis: redis.redis },
        ),
        quota: new TokenBucket({ prefix: quotaPrefix }, { redis: redis.redis }),
        membership,
      },
    );
    const retrieval = new Retrieval(
      { parallelism: 8, columnTimeoutMs: 5000 },
      { logger: silentLogger, metrics, store, membership, storage },
    );
    grpc = createGrpcServer({}, { logger: silentLogger });
    const service = createDisperserService(
      { namespaceDefaultLimit: 100, namespaceMaxLimit: 1000 },
      { logger: silentLogger, metrics, dispersal, retrieval, store, redis: redis.redis, membership },
    );
    grpc.server.addService(service.definition, service.implementation);
    new HealthService([Disperser.typeName]).addTo(grpc.server);
    addReflection(grpc.server, [Disperser]);
    const port = await grpc.bind("127.0.0.1", 0);
    client = createClient(Disperser, `127.0.0.1:${port}`, { channelOptions: grpcClientOptions() });
    return {
      client,
      shards: started.shards,
      epoch: started.epoch.epoch,
      metrics,
      nats,
      redis,
      stream,
      noncePrefix,
      quotaPrefix,
      track: (key) => tracked.add(key),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
