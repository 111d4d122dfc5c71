/**
 * The decoder property, for one message type: whatever the bytes, `decodeMessage` returns or
 * throws a plain Error, quickly, without building anything out of proportion to the input (and
 * without trying to: an allocation failure is a failure even though it is an Error); a decoded
 * message re-encodes; valid encodings decode; and the server-side request deserializer of every
 * rpc taking this type never throws (it returns a MalformedMessage exactly when decoding fails).
 */
import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import { create, type toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import {
  createMethodDefinition,
  decodeMessage,
  encodeMessage,
  MalformedMessage,
} from "../../src/grpcAdapter.ts";
import { fillerBytes, type MessageArbitraries } from "./messageArbitrary.ts";
import { mutate, mutationsArbitrary, randomWireArbitrary, varint } from "./wireMutation.ts";

export type DecoderCase =
  | { readonly kind: "valid"; readonly bytes: Uint8Array }
  | { readonly kind: "hostile"; readonly bytes: Uint8Array };

/** A decode slower than this on a few KiB is pathological (the worst seen is well under 1 ms). */
const SLOW_DECODE_MS = 250;
const ALLOCATION_FAILURE = /allocation failed|invalid (typed )?array length|out of memory/i;

/** Cases for `schema`: valid encodings, mutations of them, random and protobuf-shaped bytes. */
export function decoderCases(
  schema: DescMessage,
  arbitraries: MessageArbitraries,
): fc.Arbitrary<DecoderCase> {
  const encoded = arbitraries.encoded(schema);
  const hostile = (arbitrary: fc.Arbitrary<Uint8Array>) =>
    arbitrary.map((bytes) => ({ kind: "hostile", bytes }) as const);
  const fieldNumbers = schema.fields.length === 0 ? [1] : schema.fields.map((f) => f.number);
  // A tag and a length prefix claiming up to 2^64 bytes: 3 to 12 bytes that must not allocate.
  const lyingPrefix = fc
    .tuple(
      fc.constantFrom(...fieldNumbers),
      fc.constantFrom(0, 1, 2, 3, 5),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    )
    .map(([f, wt, len]) => Uint8Array.from([...varint((BigInt(f) << 3n) | BigInt(wt)), ...varint(len)]));
  return fc.oneof(
    { weight: 2, arbitrary: encoded.map((bytes) => ({ kind: "valid", bytes }) as const) },
    { weight: 6, arbitrary: hostile(fc.tuple(encoded, mutationsArbitrary).map(([b, m]) => mutate(b, m))) },
    { weight: 2, arbitrary: hostile(fc.uint8Array({ maxLength: 48 })) },
    {
      weight: 1,
      arbitrary: hostile(fc.tuple(fc.nat({ max: 4096 }), fc.integer()).map(([n, s]) => fillerBytes(n, s))),
    },
    { weight: 2, arbitrary: hostile(randomWireArbitrary()) },
    { weight: 1, arbitrary: hostile(lyingPrefix) },
  );
}

/** Everything a decoded message holds: one per value, plus the length of every bytes and string. */
export function footprint(value: unknown): number {
  if (value instanceof Uint8Array) return 1 + value.length;
  if (typeof value === "string") return 1 + value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + footprint(v), 1);
  if (typeof value === "object" && value !== null) {
    let n = 1;
    for (const [key, v] of Object.entries(value)) if (key !== "$typeName") n += footprint(v);
    return n;
  }
  return 1;
}

export interface DecodingContext {
  /** grpc-js definitions of the rpcs whose request is this type, and of those whose response is. */
  readonly requests: readonly ReturnType<typeof createMethodDefinition>[];
  readonly responses: readonly ReturnType<typeof createMethodDefinition>[];
  /** Decoded footprint allowed per input byte: the largest default message of the catalog (an
   * empty nested message, 2 bytes on the wire, decodes to all its defaults). Linear, not absurd. */
  readonly expansion: number;
}

export function decodingContext(
  schema: DescMessage,
  methods: readonly DescMethod[],
  messages: readonly DescMessage[],
): DecodingContext {
  return {
    requests: methods.filter((m) => m.input.typeName === schema.typeName).map(createMethodDefinition),
    responses: methods.filter((m) => m.output.typeName === schema.typeName).map(createMethodDefinition),
    expansion: Math.max(...messages.map((m) => footprint(create(m)))),
  };
}

/** Checks one case; throws an Error saying what went wrong. */
export function checkDecoding(schema: DescMessage, codecs: DecodingContext, testCase: DecoderCase): void {
  const { bytes } = testCase;
  const baseline = footprint(create(schema));
  const started = performance.now();
  let decoded: unknown;
  let failure: unknown;
  try {
    decoded = decodeMessage(schema, bytes);
  } catch (err) {
    failure = err;
  }
  const elapsed = performance.now() - started;
  const hex = Buffer.from(bytes).toString("hex").slice(0, 400);
  if (elapsed > SLOW_DECODE_MS)
    throw new Error(`decoding ${bytes.length} bytes took ${elapsed.toFixed(0)} ms: ${hex}`);
  if (failure !== undefined) {
    if (!(failure instanceof Error)) throw new Error(`decoder threw a non-Error (${typeof failure}): ${hex}`);
    if (ALLOCATION_FAILURE.test(failure.message))
      throw new Error(`decoder tried to allocate: ${failure.message}`);
    if (testCase.kind === "valid")
      throw new Error(`a valid encoding did not decode: ${failure.message}: ${hex}`);
  } else {
    const size = footprint(decoded);
    if (size > baseline + codecs.expansion * bytes.length) {
      throw new Error(`${bytes.length} bytes decoded to a message of footprint ${size}: ${hex}`);
    }
    // Services re-encode what they decoded (envelopes, events): that must never throw.
    encodeMessage(schema, decoded as Parameters<typeof toBinary>[1]);
  }
  const frame = Buffer.from(bytes);
  for (const def of codecs.requests) {
    let request: unknown;
    try {
      request = def.requestDeserialize(frame);
    } catch (err) {
      throw new Error(
        `${def.path}: requestDeserialize threw (grpc-js would answer INTERNAL): ${String(err)}`,
      );
    }
    if (request instanceof MalformedMessage !== (failure !== undefined)) {
      throw new Error(`${def.path}: requestDeserialize disagrees with decodeMessage on ${hex}`);
    }
  }
  for (const def of codecs.responses) {
    try {
      def.responseDeserialize(frame);
    } catch (err) {
      if (!(err instanceof Error)) throw new Error(`${def.path}: responseDeserialize threw a non-Error`);
    }
  }
}
