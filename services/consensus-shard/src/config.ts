/**
 * A consensus-shard validator's configuration: defaults here, then the JSON file, then env
 * `TRIBUTARY_CONSENSUS_SHARD_<PATH>` (e.g. `TRIBUTARY_CONSENSUS_SHARD_SHARD_ID=consensus-0`,
 * `TRIBUTARY_CONSENSUS_SHARD_SAMPLER_KEYS='{"sampler-0":"<96 hex>"}'`).
 */
import {
  adminConfigSchema,
  grpcServerConfigSchema,
  laneNatsConfigSchema,
  logConfigSchema,
  redisConfigSchema,
} from "@tributary/runtime";
import { z } from "zod";
import { CONSENSUS_SHARD_SERVICE } from "./metrics.ts";

export { CONSENSUS_SHARD_SERVICE };

const id = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

export const consensusShardConfigSchema = z.strictObject({
  shardId: id.default("consensus-0").describe("Consensus shard this process validates (epoch membership id)"),
  validatorId: id
    .default("consensus-0-v0")
    .describe("This validator's id in the shard (epoch membership id)"),
  blsSeedFile: z
    .string()
    .min(1)
    .describe("File holding this validator's 32-byte BLS seed, hex (secretKeyFromSeed)"),
  preset: z.enum(["devnet", "mainnet"]).default("devnet").describe("Network preset"),
  blockIntervalMs: z.number().int().positive().default(200).describe("Leader: publish a block this often"),
  maxBlockEntries: z.number().int().positive().max(65_536).default(1024).describe("Certificates per block"),
  leaseRenewMs: z.number().int().positive().default(1000).describe("Renew (or try to take) the leader lease"),
  leaseTtlMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe("Lease TTL: max age of the lease KV bucket"),
  certsAckWaitMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe("Ack wait of the leader's certs consumer"),
  samplerKeys: z
    .record(z.string(), z.string().regex(/^[0-9a-f]{96}$/))
    .default({})
    .describe("samplerId -> BLS public key (hex); empty accepts unsigned sample reports (with a warning)"),
  blobInfoRetries: z
    .number()
    .int()
    .nonnegative()
    .default(20)
    .describe(
      "Validator: attempts before warning that a blob header/inclusion is missing in Redis (it keeps waiting)",
    ),
  blobInfoRetryMs: z.number().int().positive().default(250).describe("Pause between those retries"),
  membershipWaitMs: z.number().int().nonnegative().default(30_000).describe("Wait at start for a membership"),
  nats: laneNatsConfigSchema.extend({
    leaseBucket: z.string().min(1).default("tributary_leases").describe("KV bucket of the leader leases"),
  }),
  redis: redisConfigSchema,
  grpc: grpcServerConfigSchema.extend({
    port: z.number().int().min(0).max(65535).default(7500).describe("gRPC port (devnet: 7500 + 10s + v)"),
  }),
  admin: adminConfigSchema.extend({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9500)
      .describe("Admin HTTP port (devnet: 9500 + 10s + v)"),
  }),
  log: logConfigSchema,
});

export type ConsensusShardConfig = z.output<typeof consensusShardConfigSchema>;
