/**
 * The attester's configuration: defaults here, then the JSON file, then env
 * `TRIBUTARY_ATTESTER_<PATH>` (e.g. `TRIBUTARY_ATTESTER_MAX_BATCH_BLOBS=128`,
 * `TRIBUTARY_ATTESTER_NATS_SERVERS='["nats://n1:4222"]'`). The descriptions are the documentation.
 */
import {
  adminConfigSchema,
  grpcServerConfigSchema,
  laneNatsConfigSchema,
  logConfigSchema,
  redisConfigSchema,
} from "@tributary/runtime";
import { z } from "zod";

export const ATTESTER_SERVICE = "attester";

export const attesterConfigSchema = z.strictObject({
  attesterId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,255}$/)
    .default("attester-0")
    .describe("Id written into every batch header this instance forms (tracing)"),
  preset: z.enum(["devnet", "mainnet"]).default("devnet").describe("Network preset"),
  maxBatchBlobs: z.number().int().min(1).max(4096).default(256).describe("Cut a batch at this many blobs"),
  maxBatchDelayMs: z
    .number()
    .int()
    .nonnegative()
    .default(200)
    .describe("Cut a batch when its oldest blob has waited this long"),
  maxBatchesInFlight: z
    .number()
    .int()
    .positive()
    .default(4)
    .describe("Batches being certified at once; later ones wait"),
  signTimeoutMs: z.number().int().positive().default(5000).describe("Deadline of one SignBatch call"),
  certificateTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe("Give up on a batch (nak its events for redelivery) after this long"),
  retryIntervalMs: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe("Pause before asking the storage shards that have not signed again"),
  nakDelayMs: z
    .number()
    .int()
    .nonnegative()
    .default(1000)
    .describe("Redelivery delay of the events of a batch that failed"),
  consumerName: z.string().min(1).default("attester").describe("Durable consumer on the encoded stream"),
  ackWaitMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe("JetStream ack wait of the consumer (in-flight events are kept alive meanwhile)"),
  maxAckPending: z.number().int().positive().default(8192).describe("Events delivered and not yet settled"),
  membershipWaitMs: z
    .number()
    .int()
    .nonnegative()
    .default(30_000)
    .describe("How long to wait at start for an epoch membership in NATS KV"),
  nats: laneNatsConfigSchema,
  redis: redisConfigSchema,
  grpc: grpcServerConfigSchema.extend({
    port: z.number().int().min(0).max(65535).default(7400).describe("gRPC port; 0 picks a free port"),
  }),
  admin: adminConfigSchema.extend({
    port: z.number().int().min(0).max(65535).default(9400).describe("Admin HTTP port; 0 picks a free port"),
  }),
  log: logConfigSchema,
});

export type AttesterConfig = z.output<typeof attesterConfigSchema>;
