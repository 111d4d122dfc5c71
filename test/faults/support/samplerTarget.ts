/**
 * A real Sampler gRPC service (BlobSampler signing real reports) on a loopback port, with blob
 * headers in real Redis and storage shards played by the gRPC cell servers its integration test
 * uses (sampler/test/support). One blob is known, so hostile requests can reach the sampling.
 */
import { randomBytes } from "node:crypto";
import { Sampler } from "../../../proto/src/gen/tributary/sampler/v1/sampler_pb.ts";
import { Code, createClient } from "../../../proto/src/index.ts";
import type { ClosableTarget } from "../../../proto/test/fuzz/handlerFuzz.ts";
import { encodeBlobHeader, secretKeyFromSeed } from "../../../services/protocol/src/index.ts";
import {
  blobStatusKey,
  connectRedis,
  createGrpcServer,
  createLogger,
} from "../../../services/runtime/src/index.ts";
import { BlobSampler, RedisHeaderSource } from "../../../services/sampler/src/blobSampler.ts";
import { addSamplerService } from "../../../services/sampler/src/grpcService.ts";
import { createStandaloneSamplerMetrics } from "../../../services/sampler/src/metrics.ts";
import { GrpcCellFetcher } from "../../../services/sampler/src/storageCells.ts";
import { startFakeCellServer } from "../../../services/sampler/test/support/fakeStorageCells.ts";
import { encodedBlob, testEpoch } from "../../../services/sampler/test/support/fixtures.ts";

export async function startSamplerTarget(): Promise<ClosableTarget> {
  const logger = createLogger({ service: "faults-sampler", level: "silent" });
  const blob = encodedBlob(4, 3000);
  const servers = await Promise.all(
    [0, 1, 2].map(() =>
      startFakeCellServer(new Map([[Buffer.from(blob.key).toString("hex"), blob.committed]])),
    ),
  );
  const epoch = testEpoch(
    4,
    servers.map((s) => s.endpoint),
    2,
  );
  const redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger });
  await redis.redis.hset(
    blobStatusKey(blob.key),
    "header",
    Buffer.from(encodeBlobHeader(blob.header)).toString("hex"),
  );
  const fetcher = new GrpcCellFetcher();
  const sampler = new BlobSampler(
    {
      samplerId: "sampler-faults",
      secretKey: secretKeyFromSeed(randomBytes(32)),
      confidence: 0.99,
      cellTimeoutMs: 2000,
    },
    {
      fetcher,
      membership: { current: epoch, epoch: async () => epoch },
      headers: new RedisHeaderSource(redis.redis),
      metrics: createStandaloneSamplerMetrics(),
    },
  );
  const grpc = createGrpcServer({}, { logger });
  addSamplerService(grpc.server, { logger, sampler });
  const address = `127.0.0.1:${await grpc.bind("127.0.0.1", 0)}`;
  const client = createClient(Sampler, address);

  return {
    address,
    service: Sampler,
    pools: { bytes: [blob.key] },
    methods: {
      sampleBlob: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND],
        seeds: [[{ blobKey: blob.key, confidence: 0.9 }], [{ blobKey: blob.key }]],
      },
    },
    async probe() {
      const res = await client.sampleBlob({ blobKey: blob.key });
      if (res.report?.passed !== true) throw new Error("probe: SampleBlob did not pass a stored blob");
    },
    async close() {
      client.$close();
      await grpc.shutdown(2000);
      fetcher.close();
      await Promise.all(servers.map((s) => s.close()));
      await redis.redis.del(blobStatusKey(blob.key));
      await redis.close();
    },
  };
}
