/**
 * Calls any gRPC method with arbitrary request bytes: a grpc-js Client with identity
 * serializers, so what the server's deserializer sees is exactly what the fuzzer chose. For the
 * four method kinds; request streams may half-close early or be cancelled mid-stream.
 */
import type { EventEmitter } from "node:events";
import type { DescMethod } from "@bufbuild/protobuf";
import { type Client, Metadata, status } from "@grpc/grpc-js";

export type MethodKind = DescMethod["methodKind"];

export interface RawRequest {
  /** Request frames; unary and server-streaming methods send the first only (an empty one if none). */
  readonly frames: readonly Uint8Array[];
  /** After the frames: half-close the request stream, or cancel the call. */
  readonly ending: "half-close" | "cancel";
}

export interface RawOutcome {
  readonly code: status;
  readonly details: string;
  readonly responses: number;
  readonly elapsedMs: number;
  /** True when no status arrived even a grace period after the deadline (a client-side hang). */
  readonly noStatus: boolean;
}

const identity = (b: Buffer) => b;
/** How long after its deadline a call may take to report a status before it counts as hung. */
const STATUS_GRACE_MS = 5000;

// The four grpc-js call types share these; their typings do not unify.
type AnyCall = EventEmitter & { cancel(): void };
type WritableCall = AnyCall & { write(frame: Buffer): boolean; end(): void };

export function callRaw(
  client: Client,
  path: string,
  kind: MethodKind,
  request: RawRequest,
  deadlineMs: number,
): Promise<RawOutcome> {
  const started = performance.now();
  const options = { deadline: new Date(Date.now() + deadlineMs) };
  const metadata = new Metadata();
  const first = Buffer.from(request.frames[0] ?? new Uint8Array(0));
  const ignore = () => {};
  let call: AnyCall;
  switch (kind) {
    case "unary":
      call = client.makeUnaryRequest(path, identity, identity, first, metadata, options, ignore);
      break;
    case "server_streaming":
      call = client.makeServerStreamRequest(path, identity, identity, first, metadata, options);
      break;
    case "client_streaming":
      call = client.makeClientStreamRequest(path, identity, identity, metadata, options, ignore);
      break;
    case "bidi_streaming":
      call = client.makeBidiStreamRequest(path, identity, identity, metadata, options);
      break;
  }
  return new Promise<RawOutcome>((resolve) => {
    let responses = 0;
    const timer = setTimeout(() => {
      call.cancel();
      resolve({
        code: status.UNKNOWN,
        details: "no status",
        responses,
        elapsedMs: elapsed(),
        noStatus: true,
      });
    }, deadlineMs + STATUS_GRACE_MS);
    const elapsed = () => performance.now() - started;
    call.on("data", () => {
      responses++;
    });
    // A failed streaming call also emits "error"; the status says all we need.
    call.on("error", ignore);
    call.on("status", (s: { code: status; details: string }) => {
      clearTimeout(timer);
      resolve({ code: s.code, details: s.details, responses, elapsedMs: elapsed(), noStatus: false });
    });
    if (kind === "client_streaming" || kind === "bidi_streaming") {
      const writable = call as WritableCall;
      for (const frame of request.frames) writable.write(Buffer.from(frame));
      if (request.ending === "half-close") writable.end();
    }
    if (request.ending === "cancel") setImmediate(() => call.cancel());
  });
}
