/**
 * Typed grpc-js clients for protobuf-es service descriptors:
 *
 *   unary             client.getBlobStatus(request, options) => Promise<response>
 *   server-streaming  client.retrieveBlob(request, options) => AsyncIterable<response>
 *   client-streaming  client.storeColumns(requests, options) => Promise<response>
 *   bidi-streaming    client.sampleCells(requests, options) => AsyncIterable<response>
 *
 * Requests may be messages or plain init objects; request streams are any (async) iterable and
 * are written with backpressure. Every failure is an `RpcError` with the call's status code.
 * Streaming calls start when iteration starts; breaking out of the loop cancels the call.
 */
import { once } from "node:events";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  type ClientWritableStream,
  credentials,
  type CallOptions as GrpcCallOptions,
  Metadata,
  type MethodDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import {
  createMethodDefinition,
  type EncodedMessage,
  type MethodsOf,
  type RequestInitOf,
  type ResponseOf,
} from "./grpcAdapter.ts";
import { Code, fromServiceError, RpcError } from "./rpcError.ts";

export interface CallOptions {
  /** Absolute deadline, e.g. a server handler's `ctx.deadline` to propagate it downstream. */
  readonly deadline?: Date | undefined;
  /** Relative timeout in milliseconds; with `deadline`, the earlier of the two applies. */
  readonly timeoutMs?: number | undefined;
  /** Aborting cancels the call; it then fails with CANCELLED. */
  readonly signal?: AbortSignal | undefined;
  /** Request metadata (headers). */
  readonly metadata?: Metadata | Readonly<Record<string, string>> | undefined;
}

export interface ClientOptions {
  /** Channel credentials; insecure (plaintext) by default, as inside a cluster network. */
  readonly credentials?: ChannelCredentials;
  /** grpc-js channel options, e.g. `messageSizeOptions(64 * 1024 * 1024)`. */
  readonly channelOptions?: ChannelOptions;
}

/** Stream requests: messages, init objects, or messages already encoded (`EncodedMessage`). */
type StreamRequest<M extends DescMethod> = RequestInitOf<M> | EncodedMessage<M["input"]>;
type Requests<M extends DescMethod> = AsyncIterable<StreamRequest<M>> | Iterable<StreamRequest<M>>;

export type UnaryMethod<M extends DescMethod> = (
  request: RequestInitOf<M> | EncodedMessage<M["input"]>,
  options?: CallOptions,
) => Promise<ResponseOf<M>>;
export type ServerStreamingMethod<M extends DescMethod> = (
  request: RequestInitOf<M>,
  options?: CallOptions,
) => AsyncIterable<ResponseOf<M>>;
export type ClientStreamingMethod<M extends DescMethod> = (
  requests: Requests<M>,
  options?: CallOptions,
) => Promise<ResponseOf<M>>;
export type BidiStreamingMethod<M extends DescMethod> = (
  requests: Requests<M>,
  options?: CallOptions,
) => AsyncIterable<ResponseOf<M>>;

/** The client function for one method, chosen by its kind. */
export type ClientMethodOf<M extends DescMethod> = M["methodKind"] extends "unary"
  ? UnaryMethod<M>
  : M["methodKind"] extends "server_streaming"
    ? ServerStreamingMethod<M>
    : M["methodKind"] extends "client_streaming"
      ? ClientStreamingMethod<M>
      : BidiStreamingMethod<M>;

/**
 * A typed client: one function per rpc, keyed by local name, plus `$transport` (the grpc-js
 * client underneath) and `$close()`. The `$` prefix cannot collide with a generated method name.
 */
export type ServiceClient<S extends DescService> = {
  readonly [K in keyof MethodsOf<S>]: ClientMethodOf<MethodsOf<S>[K]>;
} & {
  readonly $transport: Client;
  /** Closes the underlying grpc-js client (and so every typed client sharing it). */
  $close(): void;
};

/**
 * Creates a typed client for `service`. `target` is an address ("127.0.0.1:7000", "dns:///x:7000")
 * or an existing grpc-js Client, so several services can share one channel.
 */
export function createClient<S extends DescService>(
  service: S,
  target: string | Client,
  options: ClientOptions = {},
): ServiceClient<S> {
  const transport =
    typeof target === "string"
      ? new Client(target, options.credentials ?? credentials.createInsecure(), options.channelOptions ?? {})
      : target;
  const client: Record<string, unknown> = {
    $transport: transport,
    $close: () => transport.close(),
  };
  for (const method of service.methods) {
    client[method.localName] = createMethod(transport, method);
  }
  return client as ServiceClient<S>;
}

// ---- Internals ---------------------------------------------------------------------------------

type AnyMethod = MethodDefinition<unknown, unknown>;

function createMethod(transport: Client, method: DescMethod): unknown {
  const def = createMethodDefinition(method);
  switch (method.methodKind) {
    case "unary":
      return (request: unknown, options: CallOptions = {}) => callUnary(transport, def, request, options);
    case "server_streaming":
      return (request: unknown, options: CallOptions = {}) =>
        callServerStreaming(transport, def, request, options);
    case "client_streaming":
      return (requests: Iterable<unknown> | AsyncIterable<unknown>, options: CallOptions = {}) =>
        callClientStreaming(transport, def, requests, options);
    case "bidi_streaming":
      return (requests: Iterable<unknown> | AsyncIterable<unknown>, options: CallOptions = {}) =>
        callBidiStreaming(transport, def, requests, options);
  }
}

function callUnary(
  transport: Client,
  def: AnyMethod,
  request: unknown,
  options: CallOptions,
): Promise<unknown> {
  if (options.signal?.aborted) return Promise.reject(abortedError(options.signal));
  return new Promise((resolve, reject) => {
    const call = transport.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
      toMetadata(options.metadata),
      toGrpcCallOptions(options),
      (err: ServiceError | null, value?: unknown) => {
        removeAbort();
        if (err) reject(fromServiceError(err));
        else resolve(value);
      },
    );
    const removeAbort = onAbort(options.signal, () => cancelCall(call));
  });
}

async function* callServerStreaming(
  transport: Client,
  def: AnyMethod,
  request: unknown,
  options: CallOptions,
): AsyncGenerator<unknown> {
  if (options.signal?.aborted) throw abortedError(options.signal);
  const call = transport.makeServerStreamRequest(
    def.path,
    def.requestSerialize,
    def.responseDeserialize,
    request,
    toMetadata(options.metadata),
    toGrpcCallOptions(options),
  );
  yield* readResponses(call, options.signal);
}

function callClientStreaming(
  transport: Client,
  def: AnyMethod,
  requests: Iterable<unknown> | AsyncIterable<unknown>,
  options: CallOptions,
): Promise<unknown> {
  if (options.signal?.aborted) return Promise.reject(abortedError(options.signal));
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      removeAbort();
      if (err === undefined) resolve(value);
      else reject(err);
    };
    const ended = new AbortController();
    const call = transport.makeClientStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      toMetadata(options.metadata),
      toGrpcCallOptions(options),
      (err: ServiceError | null, value?: unknown) => {
        ended.abort();
        settle(err ? fromServiceError(err) : undefined, value);
      },
    );
    const removeAbort = onAbort(options.signal, () => cancelCall(call));
    writeRequests(call, requests, ended.signal).catch((err: unknown) => {
      // The request iterable itself failed: cancel the call and report the caller's own error.
      settle(err);
      cancelCall(call);
    });
  });
}

async function* callBidiStreaming(
  transport: Client,
  def: AnyMethod,
  requests: Iterable<unknown> | AsyncIterable<unknown>,
  options: CallOptions,
): AsyncGenerator<unknown> {
  if (options.signal?.aborted) throw abortedError(options.signal);
  const call = transport.makeBidiStreamRequest(
    def.path,
    def.requestSerialize,
    def.responseDeserialize,
    toMetadata(options.metadata),
    toGrpcCallOptions(options),
  );
  const ended = new AbortController();
  call.once("status", () => ended.abort());
  let requestError: { error: unknown } | undefined;
  writeRequests(call, requests, ended.signal).catch((err: unknown) => {
    requestError = { error: err };
    cancelCall(call);
  });
  try {
    yield* readResponses(call, options.signal);
  } catch (err) {
    // A failing request iterable cancels the call; report its error, not the CANCELLED status.
    if (requestError) throw requestError.error;
    throw err;
  } finally {
    ended.abort();
  }
}

/** Yields a call's responses, mapping errors to RpcError and cancelling if the consumer stops early. */
async function* readResponses(
  call: AsyncIterable<unknown> & { cancel(): void },
  signal: AbortSignal | undefined,
): AsyncGenerator<unknown> {
  const removeAbort = onAbort(signal, () => cancelCall(call));
  let finished = false;
  try {
    for await (const message of call) yield message;
    finished = true;
  } catch (err) {
    finished = true;
    throw fromServiceError(err);
  } finally {
    removeAbort();
    if (!finished) cancelCall(call);
  }
}

/**
 * Writes a request stream with backpressure, then half-closes. Stops quietly once the call has
 * ended (`ended` aborted), e.g. because the server already answered or failed.
 */
async function writeRequests(
  call: ClientWritableStream<unknown>,
  requests: Iterable<unknown> | AsyncIterable<unknown>,
  ended: AbortSignal,
): Promise<void> {
  for await (const request of requests) {
    if (ended.aborted) return;
    if (!call.write(request)) {
      try {
        await once(call, "drain", { signal: ended });
      } catch {
        return;
      }
    }
  }
  if (!ended.aborted) call.end();
}

/**
 * Cancels a call, twice. grpc-js 1.14 creates a call's transport stream in a promise callback
 * after `start`, without checking whether the call was cancelled meanwhile: a cancel issued in
 * the same tick as the call started ends the call locally, but the request still goes out and
 * the server never hears of the cancel (its handler runs until its deadline, or forever, and
 * blocks a graceful server shutdown). Cancelling again once that callback has run reaches the
 * stream that was created late; on a call already ended it is a no-op.
 */
function cancelCall(call: { cancel(): void }): void {
  call.cancel();
  setImmediate(() => call.cancel());
}

/** The error for a call attempted with an already aborted signal; it never touches the network. */
function abortedError(signal: AbortSignal): RpcError {
  return new RpcError(Code.CANCELLED, "Call cancelled before it started", { cause: signal.reason });
}

/** Runs `fn` when `signal` aborts (immediately if it already has); returns the unsubscribe. */
function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

function toGrpcCallOptions(options: CallOptions): GrpcCallOptions {
  const candidates: number[] = [];
  if (options.deadline !== undefined) candidates.push(options.deadline.getTime());
  if (options.timeoutMs !== undefined) candidates.push(Date.now() + options.timeoutMs);
  return candidates.length === 0 ? {} : { deadline: new Date(Math.min(...candidates)) };
}

function toMetadata(metadata: CallOptions["metadata"]): Metadata {
  if (metadata instanceof Metadata) return metadata;
  const result = new Metadata();
  for (const [key, value] of Object.entries(metadata ?? {})) result.set(key, value);
  return result;
}
