import { describe, expect, it } from "vitest";
import { blobKeyArg, parseCommandLine } from "../../src/args.ts";
import { type CliError, describeError } from "../../src/cliError.ts";
import { devnetProcesses } from "../../src/devnet/topology.ts";

describe("command line", () => {
  it("parses commands with defaults", () => {
    const { positionals, flags } = parseCommandLine(["disperse", "file.bin", "--wait", "--json"]);
    expect(positionals).toEqual(["disperse", "file.bin"]);
    expect(flags.wait).toBe(true);
    expect(flags.json).toBe(true);
    expect(flags.namespace).toHaveLength(32);
    expect(flags.storage).toBe(4);
  });

  it("rejects bad flags in one line naming the flag, with exit code 2", () => {
    const bad = (argv: string[]) => {
      try {
        parseCommandLine(argv);
      } catch (e) {
        return e as CliError;
      }
      throw new Error("accepted");
    };
    expect(bad(["devnet", "up", "--storage", "0"]).message).toBe("--storage must be at least 1");
    expect(bad(["devnet", "up", "--storage", "x"]).message).toMatch(/--storage/);
    expect(bad(["disperse", "-", "--namespace", "abc"]).message).toMatch(/--namespace must be 16 bytes/);
    expect(bad(["status", "--nope"]).message).toMatch(/Unknown option '--nope'/);
    expect(bad(["status", "--nope"]).exitCode).toBe(2);
    expect(() => blobKeyArg("zz")).toThrow(/64 hex digits/);
    expect(blobKeyArg("ab".repeat(32))).toHaveLength(32);
  });

  it("describes gRPC errors by status name", () => {
    const err = Object.assign(new Error("blob not found"), { code: 5 });
    expect(describeError(err)).toBe("NOT_FOUND: blob not found");
    expect(describeError(new Error("multi\nline"))).toBe("multi line");
  });

  it("gives every devnet process its own ports and one log name", () => {
    const specs = devnetProcesses(
      { storageShards: 4, consensusShards: 2, validatorsPerShard: 3, encoders: 2, replication: 2 },
      { nats: "127.0.0.1:4222", redis: "redis://127.0.0.1:6379" },
      "/tmp/devnet",
    );
    const ports = specs.flatMap((s) => [s.grpcPort, s.adminPort]);
    expect(new Set(ports).size).toBe(ports.length);
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
    expect(specs.filter((s) => s.service === "consensus-shard")).toHaveLength(6);
  });

  it("shifts every devnet port by --port-offset", () => {
    const shape = {
      storageShards: 2,
      consensusShards: 1,
      validatorsPerShard: 1,
      encoders: 1,
      replication: 2,
    };
    const urls = { nats: "127.0.0.1:4222", redis: "redis://127.0.0.1:6379" };
    const base = devnetProcesses(shape, urls, "/tmp/devnet");
    const shifted = devnetProcesses(shape, urls, "/tmp/devnet", undefined, 1000);
    expect(shifted.map((s) => [s.grpcPort - 1000, s.adminPort - 1000])).toEqual(
      base.map((s) => [s.grpcPort, s.adminPort]),
    );
    const disperser = shifted.find((s) => s.service === "disperser")!;
    expect(disperser.env.TRIBUTARY_DISPERSER_ENCODERS).toBe(JSON.stringify(["127.0.0.1:8200"]));
  });
});
