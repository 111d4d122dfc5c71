/**
 * The disperser's configuration: defaults here, then an optional JSON file, then env
 * `TRIBUTARY_DISPERSER_<PATH>` (runtime's loadConfig). The descriptions are the documentation.
 */
import { PRESETS } from "@tributary/protocol";
import {
  adminConfigSchema,
  epochGraceMsSchema,
  grpcServerConfigSchema,
  logConfigSchema,
  natsConfigSchema,
  redisConfigSchema,
} from "@tributary/runtime";
import { z } from "zod";

const MiB = 1024 * 1024;
const DAY = 24 * 3600;

export const DISPERSER_SERVICE = "disperser";

const port = (value: number, what: string) =>
  z.number().int().min(0).max(65535).default(value).describe(`${what}; 0 picks a free port`);

/** Per-account limits; an override names only the limits it changes. */
const accountLimitsSchema = z.strictObject({
  bytesPerSecond: z
    .number()
    .int()
    .nonnegative()
    .describe("Sustained dispersal rate in blob bytes per second (token bucket refill); 0: no rate limit"),
  burstBytes: z
    .number()
    .int()
    .positive()
    .describe("Token bucket size in bytes: the most an idle account may disperse at once"),
  maxBlobBytes: z
    .number()
    .int()
    .positive()
    .max(32 * MiB)
    .describe("Largest blob of the account, bytes (capped by maxBlobBytes); INVALID_ARGUMENT beyond"),
  maxRetentionSeconds: z
    .number()
    .int()
    .positive()
    .describe("Longest finite retention of the account, seconds (replaces retention.maxSeconds)"),
});

/** `0x` + 40 hex digits, as Ethereum writes addresses (any case). */
export const ACCOUNT_KEY_PATTERN = /^0x[0-9a-fA-F]{40}$/;

export const disperserConfigSchema = z.strictObject({
  grpc: grpcServerConfigSchema.extend({ port: port(7100, "gRPC port of the public Disperser API") }),
  admin: adminConfigSchema.extend({ port: port(9100, "Admin HTTP port (/metrics /healthz /readyz)") }),
  nats: natsConfigSchema,
  redis: redisConfigSchema,
  log: logConfigSchema,
  preset: z
    .enum(Object.keys(PRESETS) as [keyof typeof PRESETS, ...(keyof typeof PRESETS)[]])
    .default("devnet")
    .describe("Network preset; requests naming another preset are rejected (empty selects this one)"),
  maxBlobBytes: z
    .number()
    .int()
    .positive()
    .max(32 * MiB)
    .default(16 * MiB)
    .describe("Largest blob accepted, in bytes; larger blobs get INVALID_ARGUMENT naming this limit"),
  retention: z.strictObject({
    minSeconds: z
      .number()
      .int()
      .positive()
      .default(60)
      .describe("Shortest finite retention accepted, seconds"),
    maxSeconds: z
      .number()
      .int()
      .positive()
      .default(30 * DAY)
      .describe("Longest finite retention accepted, seconds (the anonymous account's limit)"),
    allowPermanent: z
      .boolean()
      .default(true)
      .describe("Whether retention 0 (permanent) is accepted; set false on public networks"),
  }),
  auth: z.strictObject({
    allowAnonymous: z
      .boolean()
      .default(false)
      .describe(
        "Accept submissions without AccountAuth (all-zero account, quota of quotas.accounts[0x00..00] or the default); otherwise UNAUTHENTICATED. The devnet enables it; a warning is logged at startup",
      ),
    maxClockSkewMs: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe(
        "Replay window: an AccountAuth timestamp further than this from the disperser's clock is rejected (INVALID_ARGUMENT); nonces are remembered for twice this plus a minute",
      ),
    epochGraceMs: epochGraceMsSchema(
      "After an epoch change, how long signed requests built for the previous epoch are still accepted (keep encoders' epochGraceMs at least this)",
    ),
  }),
  quotas: z.strictObject({
    default: z.strictObject({
      bytesPerSecond: accountLimitsSchema.shape.bytesPerSecond.default(8 * MiB),
      burstBytes: accountLimitsSchema.shape.burstBytes.default(64 * MiB),
      maxBlobBytes: accountLimitsSchema.shape.maxBlobBytes.optional(),
      maxRetentionSeconds: accountLimitsSchema.shape.maxRetentionSeconds.optional(),
    }),
    accounts: z
      .record(
        z.string().regex(ACCOUNT_KEY_PATTERN, "account keys are 0x + 40 hex digits"),
        accountLimitsSchema.partial(),
      )
      .default({})
      .describe(
        'Per-account overrides of quotas.default, keyed by address, e.g. {"0x9d8a...4a4f": {"bytesPerSecond": 33554432}}; the anonymous account is 0x0000000000000000000000000000000000000000',
      ),
  }),
  encoders: z
    .array(z.string().min(1))
    .min(1)
    .default(["127.0.0.1:7200"])
    .describe("Encoder endpoints (host:port), used round-robin; JSON array in env"),
  encodeTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe("Deadline of one EncodeBlob call (encode + store on every shard)"),
  requestTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(7 * DAY)
    .describe("How long a request id maps to its blob key (idempotent retries)"),
  events: z.strictObject({
    encodedStream: z
      .string()
      .min(1)
      .default("TRIBUTARY_ENCODED")
      .describe("JetStream stream of encoded events"),
    encodedSubject: z.string().min(1).default("tributary.encoded").describe("Subject of encoded events"),
    replicas: z.number().int().min(1).max(5).default(1).describe("Stream replicas (1 devnet, 3 cluster)"),
    publishTimeoutMs: z.number().int().positive().default(5000).describe("Wait for the JetStream ack"),
  }),
  retrieval: z.strictObject({
    parallelism: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe("Columns fetched concurrently by one RetrieveBlob call"),
    columnTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe("Time allowed to fetch one column from one storage shard"),
  }),
  namespaceList: z.strictObject({
    defaultLimit: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe("Entries streamed when a request sets no limit"),
    maxLimit: z.number().int().positive().default(1000).describe("Cap on the entries of one request"),
  }),
  membershipWaitMs: z
    .number()
    .int()
    .nonnegative()
    .default(30_000)
    .describe("How long start-up waits for an epoch membership in NATS KV"),
});

export type DisperserConfig = z.output<typeof disperserConfigSchema>;
