/**
 * A real Disperser (Dispersal, Retrieval, its gRPC service with health) on a loopback port, as
 * its integration test stands it up: real Redis and JetStream (a stream unique to the run), an
 * in-process Encoder and the in-memory test storage shards. One blob is dispersed first, so
 * hostile requests can name a real key and namespace. Every Redis key the disperser writes is
 * recorded (recordingRedis.ts) and deleted afterwards.
 */
import { randomBytes } from "node:crypto";
import { Disperser } from "../../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import { StorageShard } from "../../../proto/src/gen/tributary/storage/v1/storage_pb.ts";
import { Client, ClientPool, Code, createClient, credentials } from "../../../proto/src/index.ts";
import type { ClosableTarget } from "../../../proto/test/fuzz/handlerFuzz.ts";
import { limitsResolver } from "../../../services/disperser/src/accountLimits.ts";
import { Dispersal } from "../../../services/disperser/src/dispersal.ts";
import { createDisperserService } from "../../../services/disperser/src/disperserService.ts";
import { openEncodedEvents } from "../../../services/disperser/src/encodedEvents.ts";
import { EncoderPool } from "../../../services/disperser/src/encoderPool.ts";
import { HealthService } from "../../../services/disperser/src/grpcHealth.ts";
import { createStandaloneDisperserMetrics } from "../../../services/disperser/src/metrics.ts";
import { NonceRegistry, nonceTtlMs } from "../../../services/disperser/src/nonceRegistry.ts";
import { Retrieval } from "../../../services/disperser/src/retrieval.ts";
import { TokenBucket } from "../../../services/disperser/src/tokenBucket.ts";
import { NO_QUOTA } from "../../../services/disperser/test/support/disperserHarness.ts";
import {
  silentLogger,
  startEncoder,
  startShards,
} from "../../../services/encoder/test/support/encoderHarness.ts";
import {
  BlobStatusStore,
  connectNats,
  connectRedis,
  createGrpcServer,
  grpcClientOptions,
} from "../../../services/runtime/src/index.ts";
import { expectServing } from "./healthProbe.ts";
import { deleteKeys, recordingRedis } from "./recordingRedis.ts";

const KiB = 1024;

export async function startDisperserTarget(): Promise<ClosableTarget> {
  const tag = randomBytes(4).toString("hex");
  const stream = `FAULTS_${tag}_ENCODED`;
  const started = await startShards(4, { replication: 2 });
  const membership = { current: started.epoch, epoch: async (n: number) => started.epochs.get(n)! };
  const encoder = await startEncoder(membership);
  const nats = await connectNats(
    { servers: "nats://127.0.0.1:4222", name: `faults-disperser-${tag}` },
    {
      logger: silentLogger,
    },
  );
  const connection = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger: silentLogger });
  const written = new Set<string>();
  const redis = recordingRedis(connection.redis, written);
  const publisher = await openEncodedEvents(nats.nc, {
    stream,
    subject: `faults.${tag}.encoded`,
    replicas: 1,
    publishTimeoutMs: 5000,
  });
  const metrics = createStandaloneDisperserMetrics();
  const store = new BlobStatusStore(redis);
  const encoders = new EncoderPool({ endpoints: [encoder.endpoint] });
  const storage = new ClientPool(StorageShard, { channelOptions: grpcClientOptions() });
  // 64 KiB blobs at most: hostile sizes around the limit without megabytes per case. Anonymous
  // submissions on (as on a devnet) so fuzzed requests get past authentication; fuzzed auth
  // fields still meet every check. No quota: a rate limit would answer most cases alike.
  const maxClockSkewMs = 60_000;
  const dispersal = new Dispersal(
    {
      preset: "devnet",
      allowAnonymous: true,
      limitsFor: limitsResolver(NO_QUOTA, {
        maxBlobBytes: 64 * KiB,
        retention: { minSeconds: 60, maxSeconds: 7 * 24 * 3600, allowPermanent: true },
      }),
      maxClockSkewMs,
      epochGraceMs: 30_000,
      encodeTimeoutMs: 8000,
      publishTimeoutMs: 5000,
      requestTtlSeconds: 600,
    },
    {
      logger: silentLogger,
      metrics,
      redis,
      store,
      encoders,
      publisher,
      // Nonces are written with SET through the recording client, so they are cleaned up too.
      nonces: new NonceRegistry(
        { ttlMs: nonceTtlMs(maxClockSkewMs), prefix: `faults:${tag}:nonce:` },
        { redis },
      ),
      quota: new TokenBucket({ prefix: `faults:${tag}:quota:` }, { redis }),
      membership,
    },
  );
  const retrieval = new Retrieval(
    { parallelism: 8, columnTimeoutMs: 5000 },
    { logger: silentLogger, metrics, store, membership, storage },
  );
  const grpc = createGrpcServer({}, { logger: silentLogger });
  const service = createDisperserService(
    { namespaceDefaultLimit: 100, namespaceMaxLimit: 1000 },
    { logger: silentLogger, metrics, dispersal, retrieval, store, redis, membership },
  );
  grpc.server.addService(service.definition, service.implementation);
  new HealthService([Disperser.typeName]).addTo(grpc.server);
  const address = `127.0.0.1:${await grpc.bind("127.0.0.1", 0)}`;
  const client = createClient(Disperser, address);
  const health = new Client(address, credentials.createInsecure());

  const namespace = Uint8Array.from([0x5b, ...randomBytes(15)]);
  const data = randomBytes(3000);
  const known = await client.disperseBlob({ data, namespace, retentionSeconds: 3600n });
  const request = { data, namespace, retentionSeconds: 3600n, preset: "devnet" };

  return {
    address,
    service: Disperser,
    pools: {
      // The largest blob accepted and one byte more.
      bytes: [known.blobKey, namespace, data, new Uint8Array(64 * KiB), new Uint8Array(64 * KiB + 1)],
      strings: ["devnet", "consensus-0"],
    },
    methods: {
      disperseBlob: {
        // UNAUTHENTICATED: a fuzzed signature; ALREADY_EXISTS: a nonce in use; FAILED_PRECONDITION:
        // a stale epoch or a blob the encoder refuses; UNAVAILABLE: no encoder.
        allowed: [
          Code.OK,
          Code.INVALID_ARGUMENT,
          Code.UNAUTHENTICATED,
          Code.ALREADY_EXISTS,
          Code.FAILED_PRECONDITION,
          Code.UNAVAILABLE,
        ],
        seeds: [[request], [{ ...request, auth: { account: new Uint8Array(20), nonce: 1n } }]],
      },
      getBlobStatus: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND],
        seeds: [[{ blobKey: known.blobKey }]],
      },
      retrieveBlob: {
        allowed: [
          Code.OK,
          Code.INVALID_ARGUMENT,
          Code.NOT_FOUND,
          Code.FAILED_PRECONDITION,
          Code.UNAVAILABLE,
          Code.DATA_LOSS,
        ],
        seeds: [[{ blobKey: known.blobKey }]],
      },
      getBlobsByNamespace: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT],
        seeds: [[{ namespace, fromHeight: 1n, toHeight: 9n, limit: 10 }]],
      },
    },
    async probe() {
      await expectServing(health);
      const status = await client.getBlobStatus({ blobKey: known.blobKey });
      if (status.header?.size !== data.length) throw new Error("probe: GetBlobStatus lost the known blob");
    },
    async close() {
      health.close();
      client.$close();
      await grpc.shutdown(2000);
      encoders.close();
      storage.close();
      await encoder.stop();
      for (const s of started.shards) s.stop();
      await deleteKeys(connection.redis, written);
      const jsm = await nats.nc.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => undefined);
      await connection.close();
      await nats.close();
    },
  };
}
