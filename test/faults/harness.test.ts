/**
 * The fuzz harness must be able to fail: pointed at deliberately broken Sampler handlers, it
 * reports the INTERNAL status of a handler that throws a plain Error on some input, the hang of
 * one that never answers some input, and a server that stops answering its known-good probe;
 * pointed at a correct handler, it passes.
 */

import { afterEach, describe, expect, it } from "vitest";
import { Sampler } from "../../proto/src/gen/tributary/sampler/v1/sampler_pb.ts";
import {
  addService,
  Code,
  RpcError,
  Server,
  ServerCredentials,
  type UnaryHandler,
} from "../../proto/src/index.ts";
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
