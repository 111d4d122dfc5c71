/**
 * Fuzzes one rpc of a running gRPC server over loopback: random bytes, protobuf-shaped garbage,
 * mutated known-good requests and well-formed requests with hostile field values; for streaming
 * requests, sequences of them (malformed frames mid-stream, frames dropped, repeated or
 * reordered, early half-close, cancellation). Every call must end with a status the method
 * defines for bad input, before its deadline, and the server must still answer a known-good
 * call (the target's probe) every PROBE_EVERY cases and at the end.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { create, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { seedFor, withReplayHint } from "./budget.ts";
import { MessageArbitraries, type MessageInit, type ValuePools } from "./messageArbitrary.ts";
import { callRaw, type MethodKind, type RawRequest } from "./rawCall.ts";
import { mutate, mutationsArbitrary, randomWireArbitrary } from "./wireMutation.ts";

/** What one rpc may answer, and what a known-good request to it looks like. */
export interface MethodPlan {
  /** Every status the method may end with, whatever the input. Never UNKNOWN or INTERNAL. */
  readonly allowed: readonly status[];
  /** Known-good request sequences (a single message for unary requests): mutation seeds. */
  readonly seeds?: readonly (readonly MessageInit[])[];
  /** Per-call deadline; a call still running then counts as hung unless DEADLINE_EXCEEDED is allowed. */
  readonly deadlineMs?: number;
  /** Fraction of the per-method cases to run (a method whose every call lasts its deadline). */
  readonly share?: number;
}

export interface FuzzTarget {
  readonly address: string;
  readonly service: DescService;
  /** One plan per rpc, by local name (`disperseBlob`). */
  readonly methods: Readonly<Record<string, MethodPlan>>;
  /** Known-good values for field arbitraries (blob keys, headers). */
  readonly pools?: ValuePools;
  /** A known-good call: throws if the server does not answer it as it should. */
  probe(): Promise<void>;
}

/** A target a test stood up and tears down. */
export type ClosableTarget = FuzzTarget & { close(): Promise<void> };

export interface MethodReport {
  readonly path: string;
  readonly cases: number;
  /** Calls by final status name, plus "CANCELLED (by client)" for the cancel cases. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly slowestMs: number;
}

const DEFAULT_DEADLINE_MS = 10_000;
const PROBE_EVERY = 100;
/**
 * A fresh connection every so many calls. One in ten cases cancels its call (RST_STREAM), and
 * Node's HTTP/2 server closes a session that has reset thousands of streams (its rapid-reset
 * defence: the calls in flight then fail INTERNAL "Session closed with error code 2", seen after
 * ~12,000 calls on one connection). That is the transport refusing an abusive client, not a
 * handler's answer, so the fuzzer spreads its calls over connections as many clients would.
 */
const RECONNECT_EVERY = 1000;
const MAX_FRAMES = 6;

/** Sequence edits applied to a known-good request stream. */
type Edit =
  | { readonly kind: "drop" | "repeat"; readonly at: number }
  | { readonly kind: "swap"; readonly at: number; readonly with: number }
  | { readonly kind: "replace"; readonly at: number; readonly frame: Uint8Array }
  | { readonly kind: "cut"; readonly at: number };

function applyEdit(frames: readonly Uint8Array[], edit: Edit): Uint8Array[] {
  const out = [...frames];
  if (out.length === 0) return edit.kind === "replace" ? [edit.frame] : out;
  const i = edit.at % out.length;
  switch (edit.kind) {
    case "drop":
      out.splice(i, 1);
      break;
    case "repeat":
      out.splice(i, 0, out[i]!);
      break;
    case "swap": {
      const j = edit.with % out.length;
      [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
    case "replace":
      out[i] = edit.frame;
      break;
    case "cut":
      out.length = i;
      break;
  }
  return out;
}

/** Requests: one frame, or for streaming requests a sequence, from seeds and well-formed frames. */
function requestArbitrary(
  kind: MethodKind,
  seeds: readonly (readonly Uint8Array[])[],
  wellFormed: fc.Arbitrary<Uint8Array>,
): fc.Arbitrary<RawRequest> {
  const seedFrames = seeds.flat();
  const base = seedFrames.length === 0 ? wellFormed : fc.oneof(fc.constantFrom(...seedFrames), wellFormed);
  const frame = fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: randomWireArbitrary() },
    { weight: 3, arbitrary: wellFormed },
    { weight: 3, arbitrary: fc.tuple(base, mutationsArbitrary).map(([b, m]) => mutate(b, m)) },
  );
  const ending = fc.oneof(
    { weight: 9, arbitrary: fc.constant("half-close" as const) },
    { weight: 1, arbitrary: fc.constant("cancel" as const) },
  );
  const streams = kind === "client_streaming" || kind === "bidi_streaming";
  if (!streams) return fc.record({ frames: frame.map((f) => [f]), ending });

  const edit: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ kind: fc.constantFrom("drop" as const, "repeat" as const, "cut" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
    fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), frame }),
  );
  const sequences: fc.Arbitrary<readonly Uint8Array[]>[] = [fc.array(frame, { maxLength: MAX_FRAMES })];
  if (seeds.length > 0) {
    sequences.push(
      fc
        .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 3 }))
        .map(([seq, edits]) => edits.reduce(applyEdit, seq)),
    );
  }
  return fc.record({ frames: fc.oneof(...sequences), ending });
}

/** The target's pools plus the method's seed requests: well-formed cases vary one field of a seed. */
function withSeeds(pools: ValuePools | undefined, method: DescMethod, plan: MethodPlan): ValuePools {
  const messages = new Map(pools?.messages ?? []);
  const seeds = (plan.seeds ?? []).flat();
  if (seeds.length > 0)
    messages.set(method.input.typeName, [...(messages.get(method.input.typeName) ?? []), ...seeds]);
  return { ...pools, messages };
}

function describeRequest(kind: MethodKind, request: RawRequest): string {
  const frames = request.frames.map((f) => Buffer.from(f).toString("hex").slice(0, 200));
  return `${kind}, ${request.ending}, frames: [${frames.join(", ")}]`;
}

/**
 * Fuzzes `target.methods[method.localName]` with `cases` calls (times the plan's share); throws
 * on the first violation.
 */
export async function fuzzMethod(
  target: FuzzTarget,
  method: DescMethod,
  baseCases: number,
): Promise<MethodReport> {
  const plan = target.methods[method.localName];
  if (plan === undefined) throw new Error(`No fuzz plan for ${method.parent.typeName}.${method.name}`);
  const input = method.input;
  const arbitraries = new MessageArbitraries({ pools: withSeeds(target.pools, method, plan) });
  const seeds = (plan.seeds ?? []).map((seq) => seq.map((m) => toBinary(input, create(input, m))));
  const rawMethod = { path: `/${method.parent.typeName}/${method.name}`, kind: method.methodKind };
  return fuzzRawMethod(target, rawMethod, { ...plan, seeds }, baseCases, arbitraries.encoded(input));
}

/** A method known only by its path and kind (a service without protobuf-es descriptors). */
export interface RawMethod {
  readonly path: string;
  readonly kind: MethodKind;
}

/** A method plan whose seeds are already encoded. */
export type RawMethodPlan = Omit<MethodPlan, "seeds"> & {
  readonly seeds?: readonly (readonly Uint8Array[])[];
};

/**
 * The fuzz loop over raw request bytes. `wellFormed` draws valid requests when the method's
 * message type is known; without it, cases come from the seeds, their mutations and garbage.
 */
export async function fuzzRawMethod(
  target: Pick<FuzzTarget, "address" | "probe">,
  method: RawMethod,
  plan: RawMethodPlan,
  baseCases: number,
  wellFormed?: fc.Arbitrary<Uint8Array>,
): Promise<MethodReport> {
  const { path, kind } = method;
  const cases = Math.max(10, Math.round(baseCases * (plan.share ?? 1)));
  const allowed = new Set(plan.allowed);
  if (allowed.has(status.UNKNOWN) || allowed.has(status.INTERNAL)) {
    throw new Error(`${path}: UNKNOWN and INTERNAL are never a defined answer to bad input`);
  }
  const seeds = plan.seeds ?? [];
  const frames = wellFormed ?? (seeds.length > 0 ? fc.constantFrom(...seeds.flat()) : fc.uint8Array());
  const deadlineMs = plan.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const connect = () =>
    new Client(target.address, credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
  let client = connect();
  const byStatus: Record<string, number> = {};
  let slowestMs = 0;
  let calls = 0;
  try {
    await withReplayHint(() =>
      fc.assert(
        fc.asyncProperty(requestArbitrary(kind, seeds, frames), async (request) => {
          const outcome = await callRaw(client, path, kind, request, deadlineMs);
          const name = request.ending === "cancel" ? "CANCELLED (by client)" : (status[outcome.code] ?? "?");
          byStatus[name] = (byStatus[name] ?? 0) + 1;
          slowestMs = Math.max(slowestMs, outcome.elapsedMs);
          const context = () => `${path} (${describeRequest(kind, request)})`;
          if (outcome.noStatus) throw new Error(`${context()}: no status long after the deadline`);
          if (request.ending !== "cancel" && !allowed.has(outcome.code)) {
            const hint = outcome.code === status.DEADLINE_EXCEEDED ? " (the handler hung)" : "";
            throw new Error(
              `${context()}: answered ${status[outcome.code]}${hint}: ${outcome.details}; ` +
                `defined: ${plan.allowed.map((c) => status[c]).join(", ")}`,
            );
          }
          if (++calls % PROBE_EVERY === 0) await target.probe();
          if (calls % RECONNECT_EVERY === 0) {
            client.close();
            client = connect();
          }
        }),
        { numRuns: cases, seed: seedFor(path), includeErrorInReport: true },
      ),
    );
    await target.probe();
  } finally {
    client.close();
  }
  const report = { path, cases, byStatus, slowestMs: Math.round(slowestMs) };
  console.log(`fuzz ${path}: ${cases} calls, slowest ${report.slowestMs} ms, ${JSON.stringify(byStatus)}`);
  return report;
}
