import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig, toUpperSnake } from "../../src/config.ts";
import { describeConfig, renderConfigMarkdown } from "../../src/configDocs.ts";

const schema = z.strictObject({
  grpc: z.strictObject({
    port: z.number().int().min(0).max(65535).default(50051).describe("gRPC port"),
    maxMessageBytes: z.number().int().positive().default(1024).describe("Largest message"),
  }),
  log: z.strictObject({ level: z.enum(["info", "debug"]).default("info") }),
  enabled: z.boolean().default(false),
  peers: z.array(z.string()).default([]),
  retention: z.union([z.literal("permanent"), z.number()]).default("permanent"),
  tls: z.strictObject({ certFile: z.string() }).optional(),
});

const dir = mkdtempSync(join(tmpdir(), "tributary-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(data));
  return path;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("uses schema defaults, filling absent sections", () => {
    const config = loadConfig(schema, { service: "disperser", env: {} });
    expect(config).toEqual({
      grpc: { port: 50051, maxMessageBytes: 1024 },
      log: { level: "info" },
      enabled: false,
      peers: [],
      retention: "permanent",
    });
    expect(Object.isFrozen(config.grpc)).toBe(true);
  });

  it("applies defaults < file < env", () => {
    const file = writeJson("precedence.json", { grpc: { port: 1000, maxMessageBytes: 2048 }, enabled: true });
    const config = loadConfig(schema, {
      service: "disperser",
      file,
      env: { TRIBUTARY_DISPERSER_GRPC_PORT: "2000" },
    });
    expect(config.grpc).toEqual({ port: 2000, maxMessageBytes: 2048 });
    expect(config.enabled).toBe(true);
    expect(config.log.level).toBe("info");
  });

  it("takes the file path from argv over env over the option", () => {
    const a = writeJson("a.json", { grpc: { port: 1 } });
    const b = writeJson("b.json", { grpc: { port: 2 } });
    const c = writeJson("c.json", { grpc: { port: 3 } });
    const env = { TRIBUTARY_DISPERSER_CONFIG_FILE: b };
    expect(loadConfig(schema, { service: "disperser", env, file: c, argv: ["--config", a] }).grpc.port).toBe(
      1,
    );
    expect(loadConfig(schema, { service: "disperser", env, file: c }).grpc.port).toBe(2);
    expect(loadConfig(schema, { service: "disperser", env: {}, file: c }).grpc.port).toBe(3);
    expect(loadConfig(schema, { service: "disperser", env: {}, argv: [`--config=${b}`] }).grpc.port).toBe(2);
  });

  it("coerces env values by schema type: numbers, booleans, JSON arrays, unions", () => {
    const config = loadConfig(schema, {
      service: "storage-shard",
      env: {
        TRIBUTARY_STORAGE_SHARD_GRPC_MAX_MESSAGE_BYTES: "67108864",
        TRIBUTARY_STORAGE_SHARD_ENABLED: "true",
        TRIBUTARY_STORAGE_SHARD_PEERS: '["a:1","b:2"]',
        TRIBUTARY_STORAGE_SHARD_RETENTION: "3600",
        TRIBUTARY_STORAGE_SHARD_LOG_LEVEL: "debug",
        TRIBUTARY_STORAGE_SHARD_TLS_CERT_FILE: "/etc/cert.pem",
        TRIBUTARY_OTHER_SERVICE_FOO: "ignored: another service's prefix",
      },
    });
    expect(config.grpc.maxMessageBytes).toBe(67108864);
    expect(config.enabled).toBe(true);
    expect(config.peers).toEqual(["a:1", "b:2"]);
    expect(config.retention).toBe(3600);
    expect(config.log.level).toBe("debug");
    expect(config.tls).toEqual({ certFile: "/etc/cert.pem" });
  });

  it("rejects a wrong env type naming the key and the variable", () => {
    const problems = problemsOf(() =>
      loadConfig(schema, {
        service: "disperser",
        env: { TRIBUTARY_DISPERSER_GRPC_MAX_MESSAGE_BYTES: "abc" },
      }),
    );
    expect(problems).toEqual([
      'grpc.maxMessageBytes: expected number, got string "abc" (env TRIBUTARY_DISPERSER_GRPC_MAX_MESSAGE_BYTES)',
    ]);
  });

  it("rejects an env var with the service prefix that maps to no key", () => {
    const problems = problemsOf(() =>
      loadConfig(schema, { service: "disperser", env: { TRIBUTARY_DISPERSER_GRPC_MAX_MESAGE_BYTES: "1" } }),
    );
    expect(problems).toEqual([
      "unknown environment variable TRIBUTARY_DISPERSER_GRPC_MAX_MESAGE_BYTES (no config key maps to it)",
    ]);
  });

  it("rejects unknown keys at every level of the file, and wrong types, all at once", () => {
    const file = writeJson("bad.json", {
      grpc: { maxMesageBytes: 5, port: "x" },
      extra: 1,
      log: { level: "loud" },
    });
    const problems = problemsOf(() => loadConfig(schema, { service: "disperser", file, env: {} }));
    expect(problems).toContain(`unknown key "grpc.maxMesageBytes" (in file ${file})`);
    expect(problems).toContain(`unknown key "extra" (in file ${file})`);
    expect(problems).toContain(`grpc.port: expected number, got string "x" (in file ${file})`);
    expect(problems).toContain(`log.level: expected "info" | "debug", got string "loud" (in file ${file})`);
    expect(problems).toHaveLength(4);
  });

  it("rejects unknown keys even when the schema is not strict", () => {
    const loose = z.object({ a: z.object({ b: z.number().default(1) }) });
    const file = writeJson("loose.json", { a: { c: 2 } });
    expect(problemsOf(() => loadConfig(loose, { service: "x", file, env: {} }))).toEqual([
      `unknown key "a.c" (in file ${file})`,
    ]);
  });

  it("reports range errors and missing required keys by path", () => {
    const required = z.strictObject({ nats: z.strictObject({ url: z.string() }), port: z.number().max(10) });
    const problems = problemsOf(() =>
      loadConfig(required, { service: "x", env: { TRIBUTARY_X_PORT: "11" } }),
    );
    expect(problems).toContain("nats.url: required string, got nothing");
    expect(problems.find((p) => p.startsWith("port:"))).toMatch(
      /<=10, got number 11 \(env TRIBUTARY_X_PORT\)/,
    );
  });

  it("reports unreadable and malformed files and unknown argv", () => {
    const bad = join(dir, "broken.json");
    writeFileSync(bad, "{nope");
    expect(
      problemsOf(() => loadConfig(schema, { service: "x", env: {}, file: join(dir, "missing.json") }))[0],
    ).toMatch(/cannot read \(ENOENT\)/);
    expect(problemsOf(() => loadConfig(schema, { service: "x", env: {}, file: bad }))[0]).toMatch(
      /invalid JSON/,
    );
    expect(problemsOf(() => loadConfig(schema, { service: "x", env: {}, argv: ["--verbose"] }))).toEqual([
      'unknown command-line argument "--verbose" (only --config <path> is accepted)',
    ]);
  });

  it("refuses a schema whose keys collide in env names", () => {
    const clash = z.strictObject({ aB: z.number(), a: z.strictObject({ b: z.number() }) });
    expect(() => loadConfig(clash, { service: "x", env: {} })).toThrow(/both map to TRIBUTARY_X_A_B/);
  });
});

describe("toUpperSnake", () => {
  it.each([
    ["maxMessageBytes", "MAX_MESSAGE_BYTES"],
    ["grpcURL", "GRPC_URL"],
    ["http2Window", "HTTP2_WINDOW"],
    ["port", "PORT"],
  ])("%s -> %s", (input, output) => expect(toUpperSnake(input)).toBe(output));
});

describe("describeConfig", () => {
  it("lists every key with env name, type, default and description", () => {
    const docs = describeConfig(schema, { service: "disperser" });
    expect(docs[0]).toEqual({
      key: "grpc.port",
      env: "TRIBUTARY_DISPERSER_GRPC_PORT",
      type: "number (int, >=0, <=65535)",
      default: "50051",
      required: false,
      description: "gRPC port",
    });
    expect(docs.find((d) => d.key === "tls.certFile")).toMatchObject({ type: "string", default: undefined });
    const md = renderConfigMarkdown(schema, { service: "disperser" });
    expect(md).toContain("| `grpc.maxMessageBytes` | `TRIBUTARY_DISPERSER_GRPC_MAX_MESSAGE_BYTES` |");
    expect(md).toContain('| "permanent" \\| number | `"permanent"` |');
    expect(md).toContain("| `tls.certFile` | `TRIBUTARY_DISPERSER_TLS_CERT_FILE` | string | (optional) |");
  });
});
