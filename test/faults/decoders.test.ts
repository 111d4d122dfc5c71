/**
 * Every message type of every .proto file (found in proto/src/gen, not listed by hand) against
 * random bytes, protobuf-shaped garbage and mutated valid encodings: the decoder returns or
 * throws a plain Error, fast and without outsized allocations, and the server-side request
 * deserializer never throws (grpc-js would turn that into INTERNAL). FUZZ_CASES cases in all,
 * shared evenly between the types; the total is printed.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUZZ_CASES, seedFor, withReplayHint } from "../../proto/test/fuzz/budget.ts";
import { loadCatalog, type ProtoCatalog } from "../../proto/test/fuzz/catalog.ts";
import { checkDecoding, decoderCases, decodingContext } from "../../proto/test/fuzz/decoderFuzz.ts";
import { MessageArbitraries } from "../../proto/test/fuzz/messageArbitrary.ts";

// Top-level await: the test names below come from the catalog.
const catalog: ProtoCatalog = await loadCatalog();
const methods = catalog.services.flatMap((s) => s.methods);
const perType = Math.ceil(FUZZ_CASES / catalog.messages.length);
const arbitraries = new MessageArbitraries({ maxBytes: 2048 });
let total = 0;

describe(`decoders: ${catalog.messages.length} message types of ${catalog.files.length} files, ${perType} cases each`, () => {
  beforeAll(() => {
    // The walk found the files the services use; a broken walk must not pass by testing nothing.
    expect(catalog.files.length).toBeGreaterThanOrEqual(10);
    expect(catalog.services.map((s) => s.typeName)).toContain("tributary.disperser.v1.Disperser");
  });

  afterAll(() => {
    console.log(`faults/decoders: ${total} decoder cases over ${catalog.messages.length} message types`);
  });

  it.each(catalog.messages.map((m) => [m.typeName, m] as const))("%s", async (_name, schema) => {
    const context = decodingContext(schema, methods, catalog.messages);
    await withReplayHint(() =>
      fc.assert(
        fc.property(decoderCases(schema, arbitraries), (testCase) => {
          total++;
          checkDecoding(schema, context, testCase);
        }),
        { numRuns: perType, seed: seedFor(schema.typeName), includeErrorInReport: true },
      ),
    );
  });

  it("ran at least FUZZ_CASES cases", () => {
    expect(total).toBeGreaterThanOrEqual(FUZZ_CASES);
  });
});
