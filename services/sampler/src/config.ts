/**
 * The sampler's configuration: defaults here, then the JSON file, then env
 * `TRIBUTARY_SAMPLER_<PATH>` (e.g. `TRIBUTARY_SAMPLER_CONFIDENCE=0.99`).
 */
import {
  adminConfigSchema,
  grpcServerConfigSchema,
  laneNatsConfigSchema,
  logConfigSchema,
  redisConfigSchema,
} from "@tributary/runtime";
import { z } from "zod";

export const samplerConfigSchema = z.strictObject({
  samplerId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default("sampler-0")
    .describe("Id written into every report (validators look its key up by this id)"),
  blsSeedFile: z.string().min(1).describe("File holding the sampler's 32-byte BLS seed, hex"),
  preset: z.enum(["devnet", "mainnet"]).default("devnet").describe("Network preset"),
  confidence: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.999)
    .describe("Target detection probability per blob; sets the number of sampled cells"),
  cellTimeoutMs: z.number().int().positive().default(5000).describe("Deadline of one SampleCells stream"),
  maxConcurrentBlobs: z.number().int().positive().default(8).describe("Blobs of one block sampled at once"),
  headerRetries: z
    .number()
    .int()
    .nonnegative()
    .default(20)
    .describe("Retries while a blob's header is unknown"),
  headerRetryMs: z.number().int().positive().default(500).describe("Pause between those retries"),
  membershipWaitMs: z.number().int().nonnegative().default(30_000).describe("Wait at start for a membership"),
  nats: laneNatsConfigSchema,
  redis: redisConfigSchema,
  grpc: grpcServerConfigSchema.extend({
    port: z.number().int().min(0).max(65535).default(7600).describe("gRPC port; 0 picks a free port"),
  }),
  admin: adminConfigSchema.extend({
    port: z.number().int().min(0).max(65535).default(9600).describe("Admin HTTP port; 0 picks a free port"),
  }),
  log: logConfigSchema,
});

export type SamplerConfig = z.output<typeof samplerConfigSchema>;
