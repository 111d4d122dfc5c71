#!/usr/bin/env node
// tributary: the command line. Parses, dispatches, and turns every failure into one line.
import { readAccountKey } from "./accountKey.ts";
import { blobKeyArg, parseCommandLine, USAGE } from "./args.ts";
import { CliError, describeError } from "./cliError.ts";
import { accountNew } from "./commands/account.ts";
import { devnetDown, devnetUp } from "./commands/devnet.ts";
import { disperse } from "./commands/disperse.ts";
import { retrieve } from "./commands/retrieve.ts";
import { sample } from "./commands/sample.ts";
import { status } from "./commands/status.ts";
import { connectDisperser } from "./disperserClient.ts";
import { createOutput } from "./output.ts";

async function run(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCommandLine(argv);
  const [command, sub, arg] = positionals;
  const out = createOutput(flags.json);
  if (flags.help || command === undefined || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === "devnet") {
    if (sub === "up") {
      return devnetUp(
        {
          dataDir: flags["data-dir"],
          natsUrl: flags.nats,
          redisUrl: flags.redis,
          fresh: flags.fresh,
          portOffset: flags["port-offset"],
          shape: {
            storageShards: flags.storage,
            consensusShards: flags.consensus,
            validatorsPerShard: flags.validators,
            encoders: flags.encoders,
            replication: Math.min(flags.replication, flags.storage),
          },
        },
        out,
      );
    }
    if (sub === "down") return devnetDown(flags["data-dir"], out);
    throw new CliError("usage: tributary devnet up|down", 2);
  }
  if (command === "sample") return sample(flags.sampler, blobKeyArg(sub), flags.confidence, out);
  if (command === "account") {
    if (sub === "new") return accountNew(flags.out, out);
    throw new CliError("usage: tributary account new [--out FILE]", 2);
  }
  const client = connectDisperser(flags.disperser);
  try {
    switch (command) {
      case "disperse":
        if (sub === undefined) throw new CliError("usage: tributary disperse FILE|-", 2);
        return await disperse(
          client,
          {
            source: sub,
            namespace: new Uint8Array(Buffer.from(flags.namespace, "hex")),
            retentionSeconds: flags.retention,
            preset: flags.preset,
            wait: flags.wait,
            timeoutMs: flags.timeout,
            secretKey: flags.key === undefined ? undefined : await readAccountKey(flags.key),
            epoch: flags.epoch,
          },
          out,
        );
      case "status":
        return await status(client, blobKeyArg(sub), out);
      case "retrieve":
        return await retrieve(client, blobKeyArg(sub), flags.output, out);
      default:
        throw new CliError(`unknown command "${command}" (see tributary --help)`, 2);
    }
  } finally {
    client.$close();
  }
  void arg;
}

run(process.argv.slice(2)).then(
  () => {
    // gRPC channels and NATS sockets may keep the loop alive after the work is done.
    if (process.argv[2] !== "devnet" || process.argv[3] !== "up") process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`tributary: ${describeError(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
