/**
 * Byte-level mutations of protobuf encodings, as a hostile or broken peer would send them: bit
 * flips, truncation, insertion and deletion, length prefixes that lie, tags with another field
 * number or wire type, duplicated and reordered fields, huge and over-long varints, runs of
 * start-group tags, and the same damage inside a nested message whose length is then fixed up
 * (so the outer message still parses and the damage reaches the inner decoder). Plus
 * protobuf-shaped garbage: random records of valid tags with random payloads.
 *
 * Mutations are drawn as data (fast-check shrinks and prints them) and applied by `mutate`.
 */
import fc from "fast-check";

/** One top-level wire record of an encoding, as far as it parses. */
export interface WireRecord {
  readonly start: number;
  readonly fieldNo: number;
  readonly wireType: number;
  /** For wire type 2: where the length varint starts and the payload starts. */
  readonly lengthStart: number;
  readonly valueStart: number;
  readonly end: number;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return undefined;
}

/** Varint of any non-negative bigint (past 2^64 too: an over-long varint a decoder must refuse). */
export function varint(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

const tag = (fieldNo: number, wireType: number) => varint((BigInt(fieldNo) << 3n) | BigInt(wireType & 7));

/** The top-level records of `bytes`, stopping quietly at the first that does not parse. */
export function scanRecords(bytes: Uint8Array): WireRecord[] {
  const records: WireRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const t = readVarint(bytes, at);
    if (t === undefined) break;
    const fieldNo = Math.floor(t.value / 8);
    const wireType = t.value % 8;
    let end: number;
    let valueStart = t.next;
    switch (wireType) {
      case 0: {
        const v = readVarint(bytes, t.next);
        if (v === undefined) return records;
        end = v.next;
        break;
      }
      case 1:
        end = t.next + 8;
        break;
      case 5:
        end = t.next + 4;
        break;
      case 2: {
        const len = readVarint(bytes, t.next);
        if (len === undefined) return records;
        valueStart = len.next;
        end = len.next + len.value;
        break;
      }
      default:
        return records;
    }
    if (end > bytes.length) break;
    records.push({ start: at, fieldNo, wireType, lengthStart: t.next, valueStart, end });
    at = end;
  }
  return records;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A mutation, as plain data. Indices are taken modulo what the input has when it is applied. */
export type Mutation =
  | { readonly kind: "flipBits"; readonly bits: readonly number[] }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "setByte"; readonly at: number; readonly value: number }
  | { readonly kind: "length"; readonly record: number; readonly length: bigint }
  | { readonly kind: "retag"; readonly record: number; readonly fieldNo: number; readonly wireType: number }
  | { readonly kind: "duplicate"; readonly record: number; readonly to: number }
  | { readonly kind: "swap"; readonly a: number; readonly b: number }
  | {
      readonly kind: "hugeVarint";
      readonly at: number;
      readonly fieldNo: number;
      readonly varint: Uint8Array;
    }
  | { readonly kind: "groupBomb"; readonly at: number; readonly fieldNo: number; readonly count: number }
  | { readonly kind: "nested"; readonly record: number; readonly inner: readonly Mutation[] };

const HUGE_VARINTS = [
  varint(2n ** 64n - 1n), // 10 bytes, the largest uint64
  varint(2n ** 63n), // the smallest negative int64
  varint(2n ** 70n), // 11 bytes: over-long
  Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), // over-long zero
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // never ends
];
const LYING_LENGTHS = [
  0n,
  1n,
  127n,
  128n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n,
  2n ** 64n - 1n,
];

function mutationArbitrary(depth: number): fc.Arbitrary<Mutation> {
  const index = fc.nat();
  const fieldNo = fc.oneof(
    fc.integer({ min: 1, max: 20 }),
    fc.constantFrom(0, 2 ** 29 - 1, 2 ** 29, 2 ** 32 - 1),
  );
  const options: fc.Arbitrary<Mutation>[] = [
    fc.array(fc.nat(), { minLength: 1, maxLength: 8 }).map((bits) => ({ kind: "flipBits", bits }) as const),
    index.map((at) => ({ kind: "truncate", at }) as const),
    fc
      .tuple(index, fc.uint8Array({ minLength: 1, maxLength: 16 }))
      .map(([at, bytes]) => ({ kind: "insert", at, bytes }) as const),
    fc
      .tuple(index, fc.integer({ min: 1, max: 16 }))
      .map(([at, length]) => ({ kind: "delete", at, length }) as const),
    fc
      .tuple(index, fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff))
      .map(([at, value]) => ({ kind: "setByte", at, value }) as const),
    fc
      .tuple(index, fc.oneof(fc.constantFrom(...LYING_LENGTHS), fc.bigInt({ min: 0n, max: 300n })))
      .map(([record, length]) => ({ kind: "length", record, length }) as const),
    fc
      .tuple(index, fieldNo, fc.integer({ min: 0, max: 7 }))
      .map(([record, f, wireType]) => ({ kind: "retag", record, fieldNo: f, wireType }) as const),
    fc.tuple(index, index).map(([record, to]) => ({ kind: "duplicate", record, to }) as const),
    fc.tuple(index, index).map(([a, b]) => ({ kind: "swap", a, b }) as const),
    fc
      .tuple(index, fieldNo, fc.constantFrom(...HUGE_VARINTS))
      .map(([at, f, v]) => ({ kind: "hugeVarint", at, fieldNo: f, varint: v }) as const),
    fc
      .tuple(index, fieldNo, fc.constantFrom(1, 2, 99, 100, 101, 5000))
      .map(([at, f, count]) => ({ kind: "groupBomb", at, fieldNo: f, count }) as const),
  ];
  if (depth > 0) {
    options.push(
      fc
        .tuple(index, fc.array(mutationArbitrary(depth - 1), { minLength: 1, maxLength: 3 }))
        .map(([record, inner]) => ({ kind: "nested", record, inner }) as const),
    );
  }
  return fc.oneof(...options);
}

/** One to four stacked mutations, nested up to two messages deep. */
export const mutationsArbitrary: fc.Arbitrary<readonly Mutation[]> = fc.array(mutationArbitrary(2), {
  minLength: 1,
  maxLength: 4,
});

/** Applies `mutations` in order. */
export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes;
  for (const m of mutations) out = applyOne(out, m);
  return out;
}

/** A record boundary (or the end) picked by `index`. */
function boundary(records: readonly WireRecord[], index: number, length: number): number {
  const points = [...records.map((r) => r.start), length];
  return points[index % points.length]!;
}

function lengthDelimited(records: readonly WireRecord[], index: number): WireRecord | undefined {
  const candidates = records.filter((r) => r.wireType === 2);
  return candidates.length === 0 ? undefined : candidates[index % candidates.length];
}

function applyOne(bytes: Uint8Array, m: Mutation): Uint8Array {
  const records = scanRecords(bytes);
  const pick = (i: number) => (records.length === 0 ? undefined : records[i % records.length]!);
  switch (m.kind) {
    case "flipBits": {
      if (bytes.length === 0) return Uint8Array.of(m.bits[0]! & 0xff);
      const out = bytes.slice();
      for (const b of m.bits) out[Math.floor(b / 8) % out.length]! ^= 1 << (b % 8);
      return out;
    }
    case "truncate":
      return bytes.subarray(0, m.at % (bytes.length + 1));
    case "insert": {
      const at = m.at % (bytes.length + 1);
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    }
    case "delete": {
      const at = m.at % (bytes.length + 1);
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
    }
    case "setByte": {
      if (bytes.length === 0) return Uint8Array.of(m.value);
      const out = bytes.slice();
      out[m.at % out.length] = m.value;
      return out;
    }
    case "length": {
      const r = lengthDelimited(records, m.record);
      if (r === undefined) return concat(bytes, tag(1, 2), varint(m.length));
      return concat(bytes.subarray(0, r.lengthStart), varint(m.length), bytes.subarray(r.valueStart));
    }
    case "retag": {
      const r = pick(m.record);
      if (r === undefined) return concat(tag(m.fieldNo, m.wireType), bytes);
      return concat(bytes.subarray(0, r.start), tag(m.fieldNo, m.wireType), bytes.subarray(r.lengthStart));
    }
    case "duplicate": {
      const r = pick(m.record);
      if (r === undefined) return bytes;
      const at = boundary(records, m.to, bytes.length);
      return concat(bytes.subarray(0, at), bytes.subarray(r.start, r.end), bytes.subarray(at));
    }
    case "swap": {
      const a = pick(m.a);
      const b = pick(m.b);
      if (a === undefined || b === undefined || a === b) return bytes;
      const [first, second] = a.start < b.start ? [a, b] : [b, a];
      return concat(
        bytes.subarray(0, first.start),
        bytes.subarray(second.start, second.end),
        bytes.subarray(first.end, second.start),
        bytes.subarray(first.start, first.end),
        bytes.subarray(second.end),
      );
    }
    case "hugeVarint": {
      const at = boundary(records, m.at, bytes.length);
      return concat(bytes.subarray(0, at), tag(m.fieldNo, 0), m.varint, bytes.subarray(at));
    }
    case "groupBomb": {
      const at = boundary(records, m.at, bytes.length);
      const start = tag(m.fieldNo, 3);
      const bomb = new Uint8Array(start.length * m.count);
      for (let i = 0; i < m.count; i++) bomb.set(start, i * start.length);
      return concat(bytes.subarray(0, at), bomb, bytes.subarray(at));
    }
    case "nested": {
      const r = lengthDelimited(records, m.record);
      if (r === undefined) return bytes;
      const inner = mutate(bytes.subarray(r.valueStart, r.end), m.inner);
      return concat(
        bytes.subarray(0, r.lengthStart),
        varint(BigInt(inner.length)),
        inner,
        bytes.subarray(r.end),
      );
    }
  }
}

/** Protobuf-shaped garbage: records with plausible tags and random payloads, nested a little. */
export function randomWireArbitrary(depth = 2): fc.Arbitrary<Uint8Array> {
  const fieldNo = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 12 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 29 - 1 }) },
  );
  const payloads: fc.Arbitrary<Uint8Array>[] = [
    fc
      .tuple(fieldNo, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
      .map(([f, v]) => concat(tag(f, 0), varint(v))),
    fc.tuple(fieldNo, fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([f, b]) => concat(tag(f, 1), b)),
    fc.tuple(fieldNo, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([f, b]) => concat(tag(f, 5), b)),
    fc
      .tuple(fieldNo, fc.uint8Array({ maxLength: 48 }))
      .map(([f, b]) => concat(tag(f, 2), varint(BigInt(b.length)), b)),
  ];
  if (depth > 0) {
    payloads.push(
      fc
        .tuple(fieldNo, randomWireArbitrary(depth - 1))
        .map(([f, b]) => concat(tag(f, 2), varint(BigInt(b.length)), b)),
    );
  }
  return fc.array(fc.oneof(...payloads), { maxLength: 8 }).map((records) => concat(...records));
}
