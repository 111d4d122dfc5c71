/**
 * The storage shard's configuration. Defaults here, then the JSON file, then environment
 * variables `TRIBUTARY_STORAGE_SHARD_<PATH>` (e.g. `TRIBUTARY_STORAGE_SHARD_DATA_DIR`,
 * `TRIBUTARY_STORAGE_SHARD_GRPC_PORT`). The descriptions are the documentation.
 */
import {
  adminConfigSchema,
  grpcServerConfigSchema,
  logConfigSchema,
  natsConfigSchema,
} from "@tributary/runtime";
import { z } from "zod";
import { DEFAULT_MAX_SEGMENT_BYTES } from "./columnStore.ts";

export const storageShardConfigSchema = z.strictObject({
  shardId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .describe("This shard's id as listed in the epoch membership, e.g. storage-0"),
  dataDir: z
    .string()
    .min(1)
    .describe(
      "Directory owned by this shard: segment files and the index log (devnet: <dataDir>/storage-<i>)",
    ),
  blsSeedFile: z
    .string()
    .min(1)
    .describe("File holding the 32-byte BLS key seed as hex; the key is secretKeyFromSeed(seed)"),
  maxStoreBytes: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe("Refuse new columns once live column bytes would exceed this; 0 = unlimited"),
  maxSegmentBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(DEFAULT_MAX_SEGMENT_BYTES)
    .describe("Size at which a segment file stops taking appends and a new one starts"),
  directIo: z
    .boolean()
    .default(true)
    .describe("Write column bytes with O_DIRECT (bypassing the page cache) where the file system allows it"),
  retentionSweepIntervalMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe("How often blobs whose retention ended are deleted"),
  grpc: grpcServerConfigSchema.extend({
    port: z.number().int().min(0).max(65535).default(7300).describe("gRPC port; 0 picks a free port"),
  }),
  admin: adminConfigSchema.extend({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9300)
      .describe("Admin HTTP port (/metrics, /healthz, /readyz); 0 picks a free port"),
  }),
  nats: natsConfigSchema,
  log: logConfigSchema,
});

export type StorageShardConfig = z.output<typeof storageShardConfigSchema>;
