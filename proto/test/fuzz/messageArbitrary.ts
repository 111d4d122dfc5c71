/**
 * fast-check arbitraries of well-formed messages of any protobuf-es descriptor, with hostile
 * field values: bytes of every size a check might trip over (empty, one short or long of a key,
 * a root, a BLS key or signature), uint64s past 2^53 and 2^63, NaN and infinities, unknown enum
 * numbers, empty and odd strings, long lists. Pools of known-good values (a stored blob's key, a
 * valid header) let a case get past the first check and hit the ones behind it.
 */
import {
  create,
  type DescField,
  type DescMessage,
  type DescOneof,
  type MessageInitShape,
  type MessageShape,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import fc from "fast-check";

/** A plain init object of some message (`create(schema, init)`). */
export type MessageInit = Record<string, unknown>;

export interface ValuePools {
  /** Extra values for every bytes field (known keys, roots, signatures). */
  readonly bytes?: readonly Uint8Array[];
  /** Extra values for every string field (shard ids, presets). */
  readonly strings?: readonly string[];
  /** Known-good messages by type name, used as they are or with one field made hostile. */
  readonly messages?: ReadonlyMap<string, readonly MessageInit[]>;
}

export interface ArbitraryOptions {
  /** Nesting depth below which message fields stay unset. */
  readonly maxDepth?: number;
  /** Largest bytes field drawn (rarely; most are small). */
  readonly maxBytes?: number;
  /** Longest repeated field drawn. */
  readonly maxItems?: number;
  readonly pools?: ValuePools;
}

const SIZES_OF_NOTE = [0, 1, 2, 15, 16, 17, 19, 20, 21, 31, 32, 33, 47, 48, 49, 95, 96, 97, 116, 192];
const U32_OF_NOTE = [0, 1, 2, 3, 7, 8, 64, 127, 128, 255, 256, 1024, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
const U64_OF_NOTE = [
  0n,
  1n,
  2n,
  255n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];
const DOUBLES_OF_NOTE = [
  0,
  -0,
  1,
  -1,
  0.5,
  0.99,
  0.999999,
  1 - 2 ** -53,
  5e-324,
  1e308,
  NaN,
  Infinity,
  -Infinity,
];
const STRINGS_OF_NOTE = [
  "",
  "devnet",
  "mainnet",
  "storage-0",
  "consensus-0",
  "\u0000",
  "../..",
  "é",
  "\ud800",
];

/** Deterministic filler for large bytes values (fast-check draws each byte otherwise: slow). */
export function fillerBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function bytesArbitrary(opts: ArbitraryOptions): fc.Arbitrary<Uint8Array> {
  const maxBytes = opts.maxBytes ?? 4096;
  const sized = fc
    .tuple(fc.constantFrom(...SIZES_OF_NOTE), fc.constantFrom("zero", "ones", "random"), fc.integer())
    .map(([n, fill, seed]) =>
      fill === "zero"
        ? new Uint8Array(n)
        : fill === "ones"
          ? new Uint8Array(n).fill(0xff)
          : fillerBytes(n, seed),
    );
  const arbitraries: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 3, arbitrary: sized },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat({ max: maxBytes }), fc.integer()).map(([n, seed]) => fillerBytes(n, seed)),
    },
  ];
  const pool = opts.pools?.bytes ?? [];
  if (pool.length > 0) {
    arbitraries.push({ weight: 4, arbitrary: fc.constantFrom(...pool) });
    // A known value one byte off: passes length checks, fails the lookup or the proof.
    arbitraries.push({
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...pool), fc.nat()).map(([b, i]) => {
        const copy = b.slice();
        if (copy.length > 0) copy[i % copy.length]! ^= 1 << (i % 8);
        return copy;
      }),
    });
  }
  return fc.oneof(...arbitraries);
}

function stringArbitrary(opts: ArbitraryOptions): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 24 }),
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.constantFrom(...STRINGS_OF_NOTE, ...(opts.pools?.strings ?? [])),
    fc.nat({ max: 5000 }).map((n) => "x".repeat(n)),
  );
}

function scalarArbitrary(type: ScalarType, opts: ArbitraryOptions): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.BYTES:
      return bytesArbitrary(opts);
    case ScalarType.STRING:
      return stringArbitrary(opts);
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.oneof(fc.constantFrom(...DOUBLES_OF_NOTE), fc.double());
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(
        fc.constantFrom(...U32_OF_NOTE),
        fc.nat({ max: 300 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      );
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(
        fc.constantFrom(0, 1, -1, -(2 ** 31), 2 ** 31 - 1),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      );
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.oneof(
        fc.constantFrom(...U64_OF_NOTE, BigInt(Date.now())),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      );
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.oneof(
        fc.constantFrom(0n, -1n, -(2n ** 63n), 2n ** 63n - 1n),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      );
  }
}

/** Arbitraries built per (type, depth), so recursive and shared types are built once. */
export class MessageArbitraries {
  private readonly opts: ArbitraryOptions;
  private readonly built = new Map<string, fc.Arbitrary<MessageInit>>();

  constructor(opts: ArbitraryOptions = {}) {
    this.opts = opts;
  }

  /** Init objects of `schema`: random fields, or a pooled known-good message with one field hostile. */
  init(schema: DescMessage, depth = 0): fc.Arbitrary<MessageInit> {
    const key = `${schema.typeName}@${depth}`;
    let arbitrary = this.built.get(key);
    if (arbitrary === undefined) {
      arbitrary = this.build(schema, depth);
      this.built.set(key, arbitrary);
    }
    return arbitrary;
  }

  /** Messages of `schema`, created from `init`. */
  message<Desc extends DescMessage>(schema: Desc): fc.Arbitrary<MessageShape<Desc>> {
    return this.init(schema).map((init) => create(schema, init as MessageInitShape<Desc>));
  }

  /** Valid wire encodings of `schema`. */
  encoded(schema: DescMessage): fc.Arbitrary<Uint8Array> {
    return this.message(schema).map((m) => toBinary(schema, m));
  }

  private build(schema: DescMessage, depth: number): fc.Arbitrary<MessageInit> {
    const members = schema.members.map((m) => [m.localName, this.member(m, depth)] as const);
    const random =
      members.length === 0
        ? fc.constant({})
        : fc.record(Object.fromEntries(members), { requiredKeys: [] }).map(withoutUndefined);
    const pool = this.opts.pools?.messages?.get(schema.typeName) ?? [];
    if (pool.length === 0 || members.length === 0) return random;
    const oneHostile = fc
      .tuple(
        fc.constantFrom(...pool),
        fc.oneof(...members.map(([name, value]) => value.map((v) => [name, v] as const))),
      )
      .map(([base, [name, value]]) => withoutUndefined({ ...base, [name]: value }));
    return fc.oneof(
      { weight: 1, arbitrary: random },
      { weight: 2, arbitrary: fc.constantFrom(...pool) },
      {
        weight: 3,
        arbitrary: oneHostile,
      },
    );
  }

  private member(member: DescField | DescOneof, depth: number): fc.Arbitrary<unknown> {
    if (member.kind === "oneof") {
      return fc.oneof(
        fc.constant(undefined),
        ...member.fields.map((f) => this.value(f, depth).map((value) => ({ case: f.localName, value }))),
      );
    }
    return this.value(member, depth);
  }

  private value(field: DescField, depth: number): fc.Arbitrary<unknown> {
    const maxItems = this.opts.maxItems ?? 6;
    switch (field.fieldKind) {
      case "scalar":
        return scalarArbitrary(field.scalar, this.opts);
      case "enum":
        return fc.oneof(
          fc.constantFrom(...field.enum.values.map((v) => v.number)),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        );
      case "message":
        return this.nested(field.message, depth).map((m) => m ?? undefined);
      case "list":
        switch (field.listKind) {
          case "scalar":
            return fc.oneof(
              fc.array(scalarArbitrary(field.scalar, this.opts), { maxLength: maxItems }),
              // Long packed lists: many small values in few bytes.
              fc.array(scalarArbitrary(field.scalar, this.opts), { minLength: 100, maxLength: 400 }),
            );
          case "enum":
            return fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: maxItems });
          case "message":
            return depth >= (this.opts.maxDepth ?? 4)
              ? fc.constant([])
              : fc.array(this.init(field.message, depth + 1), { maxLength: maxItems });
        }
        break;
      case "map":
        // No map fields in our protos today; string keys keep it generic enough for a new one.
        return fc.constant({});
    }
  }

  private nested(schema: DescMessage, depth: number): fc.Arbitrary<MessageInit | undefined> {
    if (depth >= (this.opts.maxDepth ?? 4)) return fc.constant(undefined);
    return fc.option(this.init(schema, depth + 1), { nil: undefined, freq: 4 });
  }
}

function withoutUndefined(init: Record<string, unknown>): MessageInit {
  const out: MessageInit = {};
  for (const [k, v] of Object.entries(init)) if (v !== undefined) out[k] = v;
  return out;
}
