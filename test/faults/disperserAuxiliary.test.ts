/**
 * Hostile input to the disperser's other gRPC services, gRPC health and server reflection
 * (services/disperser/src/grpcHealth.ts, grpcReflection.ts). They have no protobuf-es
 * descriptors, so cases are raw: garbage, protobuf-shaped garbage and mutations of valid frames.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Disperser } from "../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import { Client, Code, credentials } from "../../proto/src/index.ts";
import { FUZZ_HANDLER_CASES } from "../../proto/test/fuzz/budget.ts";
import { fuzzRawMethod, type RawMethodPlan } from "../../proto/test/fuzz/handlerFuzz.ts";
import { callRaw } from "../../proto/test/fuzz/rawCall.ts";
import { HealthService } from "../../services/disperser/src/grpcHealth.ts";
import { addReflection } from "../../services/disperser/src/grpcReflection.ts";
import { silentLogger } from "../../services/encoder/test/support/encoderHarness.ts";
import { createGrpcServer, type GrpcServer } from "../../services/runtime/src/index.ts";
import { expectServing } from "./support/healthProbe.ts";

/** A length-delimited field: what every valid request of these services is made of. */
const field = (tag: number, text: string) => {
  const bytes = Buffer.from(text);
  return Uint8Array.from([tag, bytes.length, ...bytes]);
};

const reflection: RawMethodPlan = {
  allowed: [Code.OK, Code.INVALID_ARGUMENT],
  seeds: [
    [field(0x3a, ""), field(0x22, `${Disperser.typeName}.RetrieveBlob`)],
    [field(0x1a, "tributary/disperser/v1/disperser.proto"), field(0x0a, "localhost")],
  ],
};

const methods: [string, "unary" | "server_streaming" | "bidi_streaming", RawMethodPlan][] = [
  [
    "/grpc.health.v1.Health/Check",
    "unary",
    { allowed: [Code.OK, Code.NOT_FOUND, Code.INVALID_ARGUMENT], seeds: [[field(0x0a, Disperser.typeName)]] },
  ],
  [
    "/grpc.health.v1.Health/Watch",
    "server_streaming",
    // Watch follows the status until the client gives up: ending at the deadline is its contract.
    {
      allowed: [Code.DEADLINE_EXCEEDED, Code.INVALID_ARGUMENT],
      seeds: [[field(0x0a, Disperser.typeName)], [new Uint8Array(0)]],
      deadlineMs: 150,
      share: 0.1,
    },
  ],
  ["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "bidi_streaming", reflection],
  ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "bidi_streaming", reflection],
];

describe(`disperser health and reflection: ${FUZZ_HANDLER_CASES} hostile calls per rpc`, () => {
  let grpc: GrpcServer;
  let address: string;
  let health: Client;

  beforeAll(async () => {
    grpc = createGrpcServer({}, { logger: silentLogger });
    new HealthService([Disperser.typeName]).addTo(grpc.server);
    addReflection(grpc.server, [Disperser]);
    address = `127.0.0.1:${await grpc.bind("127.0.0.1", 0)}`;
    health = new Client(address, credentials.createInsecure());
  });
  afterAll(async () => {
    health?.close();
    await grpc?.shutdown(2000);
  });

  const probe = () => expectServing(health);

  it.each(methods)(
    "answers a malformed request (one 0x00 byte) on %s with INVALID_ARGUMENT",
    async (path, kind) => {
      // Their deserializers threw on it, which grpc-js answers INTERNAL (fixed with test/faults).
      const client = new Client(address, credentials.createInsecure());
      try {
        const outcome = await callRaw(
          client,
          path,
          kind,
          { frames: [Uint8Array.of(0)], ending: "half-close" },
          2000,
        );
        expect(Code[outcome.code]).toBe("INVALID_ARGUMENT");
      } finally {
        client.close();
      }
    },
  );

  it.each(methods)("%s", async (path, kind, plan) => {
    await fuzzRawMethod({ address, probe }, { path, kind }, plan, FUZZ_HANDLER_CASES);
  });
});
