/**
 * Command-line parsing: `tributary <command> [subcommand] [args] [--flags]`. Flags are checked
 * with zod, so a wrong value is one clear line naming the flag.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { CliError } from "./cliError.ts";

export const USAGE = `tributary — command line for a Tributary DA cluster

usage:
  tributary devnet up [--storage N] [--consensus M] [--validators V] [--encoders E]
                      [--replication R] [--data-dir DIR] [--fresh] [--port-offset N]
  tributary devnet down [--data-dir DIR]
  tributary disperse FILE|- [--namespace HEX] [--retention SECONDS] [--wait] [--timeout MS]
                     [--key KEYFILE [--epoch N]]
  tributary account new [--out FILE]
  tributary status KEY
  tributary retrieve KEY [-o FILE]
  tributary sample KEY [--confidence C] [--sampler HOST:PORT]

global flags:
  --json                 one JSON document on stdout instead of text
  --disperser HOST:PORT  public API (default 127.0.0.1:7100, env TRIBUTARY_DISPERSER)
  --nats URL             NATS for the devnet (default 127.0.0.1:4222, env TRIBUTARY_NATS)
  --redis URL            Redis for the devnet (default redis://127.0.0.1:6379, env TRIBUTARY_REDIS)
  -h, --help`;

const options = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  disperser: { type: "string" },
  nats: { type: "string" },
  redis: { type: "string" },
  "data-dir": { type: "string" },
  storage: { type: "string" },
  consensus: { type: "string" },
  validators: { type: "string" },
  encoders: { type: "string" },
  replication: { type: "string" },
  fresh: { type: "boolean" },
  "port-offset": { type: "string" },
  namespace: { type: "string" },
  retention: { type: "string" },
  preset: { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  output: { type: "string", short: "o" },
  confidence: { type: "string" },
  sampler: { type: "string" },
  key: { type: "string" },
  epoch: { type: "string" },
  out: { type: "string" },
} as const;

const count = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `--${flag} must be a number` })
    .int(`--${flag} must be a whole number`)
    .min(min, `--${flag} must be at least ${min}`)
    .max(max, `--${flag} must be at most ${max}`);

const flagsSchema = z.object({
  json: z.boolean().default(false),
  help: z.boolean().default(false),
  disperser: z.string().default(process.env.TRIBUTARY_DISPERSER ?? "127.0.0.1:7100"),
  nats: z.string().default(process.env.TRIBUTARY_NATS ?? "127.0.0.1:4222"),
  redis: z.string().default(process.env.TRIBUTARY_REDIS ?? "redis://127.0.0.1:6379"),
  "data-dir": z.string().default(".devnet"),
  storage: count("storage", 1, 64).default(4),
  consensus: count("consensus", 1, 16).default(2),
  validators: count("validators", 1, 7).default(1),
  encoders: count("encoders", 1, 16).default(1),
  replication: count("replication", 1, 16).default(2),
  fresh: z.boolean().default(false),
  "port-offset": count("port-offset", 0, 50_000).default(0),
  namespace: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, "--namespace must be 16 bytes as 32 hex digits")
    .default("0164656661756c740000000000000000"),
  retention: count("retention", 0, 10 * 365 * 86_400).default(86_400),
  preset: z.enum(["devnet", "mainnet"], { error: "--preset must be devnet or mainnet" }).default("devnet"),
  wait: z.boolean().default(false),
  timeout: count("timeout", 100, 3_600_000).default(120_000),
  output: z.string().optional(),
  confidence: z.coerce
    .number()
    .gt(0, "--confidence must be in (0, 1)")
    .lt(1, "--confidence must be in (0, 1)")
    .default(0.999),
  sampler: z.string().default("127.0.0.1:7600"),
  key: z.string().min(1, "--key needs a key file").optional(),
  epoch: count("epoch", 1, Number.MAX_SAFE_INTEGER).optional(),
  out: z.string().min(1, "--out needs a file name").default("account.key"),
});

export type Flags = z.infer<typeof flagsSchema>;

export function parseCommandLine(argv: string[]): { positionals: string[]; flags: Flags } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(`${(err as Error).message.split("\n")[0]} (see tributary --help)`, 2);
  }
  const result = flagsSchema.safeParse(parsed.values);
  if (!result.success) throw new CliError(result.error.issues[0]?.message ?? "invalid flags", 2);
  return { positionals: parsed.positionals, flags: result.data };
}

export function blobKeyArg(value: string | undefined): Uint8Array {
  if (value === undefined || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new CliError("a blob key is 32 bytes as 64 hex digits", 2);
  }
  return new Uint8Array(Buffer.from(value, "hex"));
}
