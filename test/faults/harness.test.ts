/**
 * The fuzz harness must be able to fail: pointed at deliberately broken Sampler handlers, it
 * reports the INTERNAL status of a handler that throws a plain Error on some input, the hang of
 * one that never answers some input, and a server that stops answering its known-good probe;
 * pointed at a correct handler, it passes. The decoder check likewise reports a valid encoding
 * that does not decode and a decoded message out of proportion to its input.
 */

import { afterEach, describe, expect, it } from "vitest";
import {
  SampleBlobRequestSchema,
  SampleReportSchema,
  Sampler,
} from "../../proto/src/gen/tributary/sampler/v1/sampler_pb.ts";
import {
  addService,
  Code,
  RpcError,
  Server,
  ServerCredentials,
  type UnaryHandler,
} from "../../proto/src/index.ts";
import { checkDecoding, decodingContext } from "../../proto/test/fuzz/decoderFuzz.ts";
import { type FuzzTarget, fuzzMethod } from "../../proto/test/fuzz/handlerFuzz.ts";

type SampleBlob = UnaryHandler<(typeof Sampler)["method"]["sampleBlob"]>;

const servers: Server[] = [];

async function serve(
  sampleBlob: SampleBlob,
  probe: () => Promise<void> = async () => {},
): Promise<FuzzTarget> {
  const server = new Server();
  addService(server, Sampler, { sampleBlob });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  servers.push(server);
  return {
    address: `127.0.0.1:${port}`,
    service: Sampler,
    methods: { sampleBlob: { allowed: [Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND], deadlineMs: 500 } },
    probe,
  };
}

/** A correct handler: validates like the real one, answers NOT_FOUND for every key. */
const correct: SampleBlob = (request) => {
  if (request.blobKey.length !== 32) throw new RpcError(Code.INVALID_ARGUMENT, "blob_key must be 32 bytes");
  if (!(request.confidence === 0 || (request.confidence > 0 && request.confidence < 1))) {
    throw new RpcError(Code.INVALID_ARGUMENT, "confidence must be in (0, 1)");
  }
  throw new RpcError(Code.NOT_FOUND, "unknown blob");
};

const method = Sampler.method.sampleBlob;

describe("fuzz harness sanity", () => {
  afterEach(() => {
    for (const s of servers.splice(0)) s.forceShutdown();
  });

  it("passes a correct handler", async () => {
    const report = await fuzzMethod(await serve(correct), method, 200);
    expect(report.byStatus.INVALID_ARGUMENT).toBeGreaterThan(0);
  });

  it("reports INTERNAL from a handler that throws a plain Error on some input", async () => {
    const target = await serve((request, ctx) => {
      // A missed check: NaN slips through and blows up further in.
      if (Number.isNaN(request.confidence)) throw new TypeError("confidence is NaN");
      return correct(request, ctx);
    });
    await expect(fuzzMethod(target, method, 200)).rejects.toThrow(/answered INTERNAL/);
  });

  it("reports a handler that hangs on some input", async () => {
    const target = await serve(async (request, ctx) => {
      if (request.blobKey.length === 0) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      }
      return correct(request, ctx);
    });
    await expect(fuzzMethod(target, method, 200)).rejects.toThrow(/DEADLINE_EXCEEDED \(the handler hung\)/);
  });

  it("reports a server that stops answering its known-good probe", async () => {
    let calls = 0;
    const target = await serve(correct, async () => {
      if (++calls > 0) throw new Error("probe failed: server gone");
    });
    await expect(fuzzMethod(target, method, 150)).rejects.toThrow(/server gone/);
  });
});

describe("decoder check sanity", () => {
  const context = decodingContext(SampleReportSchema, Sampler.methods, [SampleReportSchema]);

  it("passes what decodes in proportion", () => {
    const bytes = Uint8Array.of(0x0a, 0x02, 0x01, 0x02); // blob_key = 0102
    expect(() => checkDecoding(SampleReportSchema, context, { kind: "valid", bytes })).not.toThrow();
  });

  it("reports a valid encoding that does not decode", () => {
    const bytes = Uint8Array.of(0x0a, 0x05, 0x01); // length 5, one byte follows
    expect(() => checkDecoding(SampleReportSchema, context, { kind: "valid", bytes })).toThrow(
      /a valid encoding did not decode/,
    );
  });

  it("reports a decoded message larger than its input allows", () => {
    // 400 empty failed_cells entries: 800 bytes, allowed here at 0 per byte.
    const bytes = new Uint8Array(800).map((_, i) => (i % 2 === 0 ? 0x22 : 0x00));
    const strict = { ...context, expansion: 0 };
    expect(() => checkDecoding(SampleReportSchema, strict, { kind: "hostile", bytes })).toThrow(
      /decoded to a message of footprint/,
    );
  });

  it("checks the request deserializer of every rpc taking the type", () => {
    const requests = decodingContext(SampleBlobRequestSchema, Sampler.methods, [SampleBlobRequestSchema]);
    expect(requests.requests.map((d) => d.path)).toEqual(["/tributary.sampler.v1.Sampler/SampleBlob"]);
  });
});
