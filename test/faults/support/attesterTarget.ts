/**
 * The Attester's gRPC service on a loopback port with real NATS JetStream (a stream and subject
 * unique to the run, deleted after) and real Redis. The batching consumer is not started: the
 * rpcs only publish events and read certificates, and fuzzed events must not turn into FAILED
 * statuses in Redis.
 */
import { randomBytes } from "node:crypto";
import { Attester } from "../../../proto/src/gen/tributary/attester/v1/attester_pb.ts";
import { blobHeaderToProto, Code, createClient } from "../../../proto/src/index.ts";
import type { ClosableTarget } from "../../../proto/test/fuzz/handlerFuzz.ts";
import { addAttesterService } from "../../../services/attester/src/grpcService.ts";
import { encodedStream, encodedStreamConfig } from "../../../services/attester/src/lane.ts";
import { testHeader } from "../../../services/attester/test/support/fixtures.ts";
import { blobKey } from "../../../services/protocol/src/index.ts";
import {
  BlobStatusStore,
  blobStatusKey,
  connectNats,
  connectRedis,
  createGrpcServer,
  createLogger,
  ensureStream,
} from "../../../services/runtime/src/index.ts";

export async function startAttesterTarget(): Promise<ClosableTarget> {
  const logger = createLogger({ service: "faults-attester", level: "silent" });
  const tag = randomBytes(4).toString("hex");
  const lane = { subjectRoot: `faults${tag}`, streamPrefix: `FAULTS${tag}` };
  const nats = await connectNats(
    { servers: "nats://127.0.0.1:4222", name: `faults-attester-${tag}` },
    { logger },
  );
  const jsm = await nats.nc.jetstreamManager();
  await ensureStream(jsm, encodedStreamConfig(lane, 1));
  const redis = await connectRedis({ url: "redis://127.0.0.1:6379" }, { logger });
  const header = blobHeaderToProto(testHeader(1, 2000));
  const key = blobKey(testHeader(1, 10));
  const certified = blobStatusKey(key);
  // A certified blob, as the attester records it, so GetCertificate has one to find.
  await redis.redis.hset(certified, "status", "CERTIFIED", "certificate", "CgIIAQ==", "inclusion", "CAE=");
  const grpc = createGrpcServer({}, { logger });
  addAttesterService(grpc.server, lane, {
    logger,
    nc: nats.nc,
    statusStore: new BlobStatusStore(redis.redis),
  });
  const address = `127.0.0.1:${await grpc.bind("127.0.0.1", 0)}`;
  const client = createClient(Attester, address);
  const receipt = { blobKey: key, shardId: "storage-0", epoch: 1n, columns: [0, 1], storedAtMs: 1n };

  return {
    address,
    service: Attester,
    pools: {
      bytes: [key, header.namespace, header.dataRoot],
      strings: ["devnet", "storage-0"],
      messages: new Map([["tributary.common.v1.BlobHeader", [header]]]),
    },
    methods: {
      submitEncoded: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.UNAVAILABLE],
        seeds: [[{ header, receipts: [receipt] }]],
      },
      getCertificate: {
        allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND],
        seeds: [[{ blobKey: key }]],
      },
    },
    async probe() {
      const res = await client.submitEncoded({ header, receipts: [receipt] });
      if (!res.accepted)
        throw new Error(`probe: SubmitEncoded refused a valid header: ${res.rejection?.message}`);
      const cert = await client.getCertificate({ blobKey: key });
      if (cert.certificate?.batchHeader?.epoch !== 1n)
        throw new Error("probe: GetCertificate lost the certificate");
    },
    async close() {
      client.$close();
      await grpc.shutdown(2000);
      await jsm.streams.delete(encodedStream(lane)).catch(() => undefined);
      await redis.redis.del(certified);
      await redis.close();
      await nats.close();
    },
  };
}
