/**
 * The encoder's configuration: defaults here, then an optional JSON file, then env
 * `TRIBUTARY_ENCODER_<PATH>` (see runtime's loadConfig). The descriptions are the documentation.
 */
import { PRESETS } from "@tributary/protocol";
import {
  adminConfigSchema,
  epochGraceMsSchema,
  grpcServerConfigSchema,
  logConfigSchema,
  natsConfigSchema,
} from "@tributary/runtime";
import { z } from "zod";

const MiB = 1024 * 1024;

export const ENCODER_SERVICE = "encoder";

export const encoderConfigSchema = z.strictObject({
  grpc: grpcServerConfigSchema.extend({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(7200)
      .describe("gRPC port (Encoder service); 0 picks a free port"),
  }),
  admin: adminConfigSchema.extend({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9200)
      .describe("Admin HTTP port (/metrics /healthz /readyz); 0 picks a free port"),
  }),
  nats: natsConfigSchema,
  log: logConfigSchema,
  preset: z
    .enum(Object.keys(PRESETS) as [keyof typeof PRESETS, ...(keyof typeof PRESETS)[]])
    .default("devnet")
    .describe("Network preset; a request naming another preset is rejected"),
  maxBlobBytes: z
    .number()
    .int()
    .positive()
    .max(32 * MiB)
    .default(16 * MiB)
    .describe("Largest blob accepted, in bytes (capped by the preset's maximum)"),
  storeTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe("Time allowed for every storage shard to receive, verify and fsync its columns"),
  epochGraceMs: epochGraceMsSchema(
    "After an epoch change, how long requests naming the previous epoch are still encoded and stored under it (at least the disperser's auth.epochGraceMs)",
  ),
  membershipWaitMs: z
    .number()
    .int()
    .nonnegative()
    .default(30_000)
    .describe("How long start-up waits for an epoch membership in NATS KV"),
  squarePool: z.strictObject({
    maxIdlePerGeometry: z
      .number()
      .int()
      .nonnegative()
      .default(2)
      .describe("Square buffers kept for reuse per (k, cellSize); 0 disables reuse"),
    maxIdleBytes: z
      .number()
      .int()
      .nonnegative()
      .default(256 * MiB)
      .describe("Upper bound on the bytes of all idle square buffers kept for reuse"),
  }),
});

export type EncoderConfig = z.output<typeof encoderConfigSchema>;
