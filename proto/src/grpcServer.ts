/**
 * Builds grpc-js server implementations from protobuf-es service descriptors and plain async
 * handlers:
 *
 *   unary             (request, ctx) => response | Promise<response>
 *   server-streaming  (request, ctx) => AsyncIterable<response>     (an async generator)
 *   client-streaming  (requests: AsyncIterable, ctx) => Promise<response>
 *   bidi-streaming    (requests: AsyncIterable, ctx) => AsyncIterable<response>
 *
 * Responses may be messages or plain init objects. Errors: a thrown error with a numeric gRPC
 * `code` (an `RpcError`) is sent as is; anything else goes through `options.mapError` (the
 * service's own error table) and otherwise becomes INTERNAL with a safe message. UNKNOWN never
 * reaches a client. Cancellation and deadlines arrive as `ctx.signal`.
 */
import { type EventEmitter, once } from "node:events";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type Server,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type StatusObject,
  status,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  createServiceDefinition,
  type HandlerContext,
  MalformedMessage,
  type MethodsOf,
  type RequestOf,
  type ResponseInitOf,
} from "./grpcAdapter.ts";
import { INTERNAL_ERROR_DETAILS, RpcError, toStatusObject } from "./rpcError.ts";

export type UnaryHandler<M extends DescMethod> = (
  request: RequestOf<M>,
  ctx: HandlerContext,
) => ResponseInitOf<M> | Promise<ResponseInitOf<M>>;
export type ServerStreamingHandler<M extends DescMethod> = (
  request: RequestOf<M>,
  ctx: HandlerContext,
) => AsyncIterable<ResponseInitOf<M>>;
export type ClientStreamingHandler<M extends DescMethod> = (
  requests: AsyncIterable<RequestOf<M>>,
  ctx: HandlerContext,
) => ResponseInitOf<M> | Promise<ResponseInitOf<M>>;
export type BidiStreamingHandler<M extends DescMethod> = (
  requests: AsyncIterable<RequestOf<M>>,
  ctx: HandlerContext,
) => AsyncIterable<ResponseInitOf<M>>;

/** The handler type for one method, chosen by its kind. */
export type HandlerOf<M extends DescMethod> = M["methodKind"] extends "unary"
  ? UnaryHandler<M>
  : M["methodKind"] extends "server_streaming"
    ? ServerStreamingHandler<M>
    : M["methodKind"] extends "client_streaming"
      ? ClientStreamingHandler<M>
      : BidiStreamingHandler<M>;

/** One handler per rpc of the service, keyed by the methods' local names (`disperseBlob`). */
export type ServiceHandlers<S extends DescService> = {
  [K in keyof MethodsOf<S>]: HandlerOf<MethodsOf<S>[K]>;
};

export interface ImplementOptions {
  /**
   * The service's error table: turns a domain error (e.g. a "STORAGE_ERROR_..." code) into the
   * RpcError a client should see. Return undefined to apply the default rule.
   */
  readonly mapError?: (err: unknown) => RpcError | undefined;
  /** Called for every error sent as INTERNAL (a bug or an unclassified failure): log it here. */
  readonly onInternalError?: (err: unknown, path: string) => void;
}

export interface ServiceImplementation {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/** Builds the grpc-js definition and implementation of `service` from `handlers`. */
export function implement<S extends DescService>(
  service: S,
  handlers: ServiceHandlers<S>,
  options: ImplementOptions = {},
): ServiceImplementation {
  const definition = createServiceDefinition(service);
  const implementation: UntypedServiceImplementation = {};
  const byName = handlers as unknown as Record<string, AnyHandler>;
  for (const method of service.methods) {
    const handler = byName[method.localName];
    if (typeof handler !== "function") {
      throw new TypeError(`No handler for ${method.parent.typeName}.${method.name}`);
    }
    implementation[method.localName] = wrapHandler(method, handler, options);
  }
  return { definition, implementation };
}

/** `implement` and register the result on a grpc-js server. */
export function addService<S extends DescService>(
  server: Server,
  service: S,
  handlers: ServiceHandlers<S>,
  options: ImplementOptions = {},
): void {
  const { definition, implementation } = implement(service, handlers, options);
  server.addService(definition, implementation);
}

// ---- Internals ---------------------------------------------------------------------------------

// Handlers with their message types erased; `implement` checked them against the descriptor.
type AnyHandler = (input: unknown, ctx: HandlerContext) => unknown;
type AnyServerCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

function wrapHandler(method: DescMethod, handler: AnyHandler, options: ImplementOptions): UntypedHandleCall {
  const toStatus = (err: unknown, path: string): StatusObject => errorToStatus(err, path, options);
  switch (method.methodKind) {
    case "unary":
      return (
        call: ServerUnaryCall<unknown, unknown>,
        callback: (err: StatusObject | null, value?: unknown) => void,
      ) => {
        const scope = openScope(call);
        if (call.request instanceof MalformedMessage) {
          scope.close();
          callback(malformedStatus(call.request));
          return;
        }
        Promise.resolve()
          .then(() => handler(call.request, scope.ctx))
          .then(
            (response) => callback(null, response),
            (err: unknown) => {
              if (!call.cancelled) callback(toStatus(err, scope.ctx.path));
            },
          )
          .finally(() => scope.close());
      };
    case "server_streaming":
      return (call: ServerWritableStream<unknown, unknown>) => {
        const scope = openScope(call);
        if (call.request instanceof MalformedMessage) {
          scope.close();
          call.emit("error", malformedStatus(call.request));
          return;
        }
        writeAll(call, () => handler(call.request, scope.ctx) as AsyncIterable<unknown>, scope.ctx.signal)
          .then(
            () => call.end(),
            (err: unknown) => {
              if (!call.cancelled) call.emit("error", toStatus(err, scope.ctx.path));
            },
          )
          .finally(() => scope.close());
      };
    case "client_streaming":
      return (
        call: ServerReadableStream<unknown, unknown>,
        callback: (err: StatusObject | null, value?: unknown) => void,
      ) => {
        const scope = openScope(call);
        const input = readAll(call, scope.ctx.signal);
        Promise.resolve()
          .then(() => handler(input.messages, scope.ctx))
          .then(
            (response) => callback(input.malformed ? malformedStatus(input.malformed) : null, response),
            (err: unknown) => {
              if (call.cancelled) return;
              callback(input.malformed ? malformedStatus(input.malformed) : toStatus(err, scope.ctx.path));
            },
          )
          .finally(() => scope.close());
      };
    case "bidi_streaming":
      return (call: ServerDuplexStream<unknown, unknown>) => {
        const scope = openScope(call);
        const input = readAll(call, scope.ctx.signal);
        writeAll(call, () => handler(input.messages, scope.ctx) as AsyncIterable<unknown>, scope.ctx.signal)
          .then(
            () => (input.malformed ? call.emit("error", malformedStatus(input.malformed)) : call.end()),
            (err: unknown) => {
              if (call.cancelled) return;
              call.emit(
                "error",
                input.malformed ? malformedStatus(input.malformed) : toStatus(err, scope.ctx.path),
              );
            },
          )
          .finally(() => scope.close());
      };
  }
}

function errorToStatus(err: unknown, path: string, options: ImplementOptions): StatusObject {
  const result = toStatusObject(options.mapError?.(err) ?? err);
  if (result.code === status.INTERNAL && result.details === INTERNAL_ERROR_DETAILS) {
    options.onInternalError?.(err, path);
  }
  return result;
}

function malformedStatus(malformed: MalformedMessage): StatusObject {
  return toStatusObject(
    new RpcError(status.INVALID_ARGUMENT, `Malformed ${malformed.typeName}: ${malformed.reason}`),
  );
}

/** A cancel this close to the deadline is reported as DEADLINE_EXCEEDED. */
const DEADLINE_SLACK_MS = 20;

interface Scope {
  readonly ctx: HandlerContext;
  close(): void;
}

/**
 * The handler context of one call. The signal aborts when grpc-js reports the call cancelled
 * (client cancel, connection loss, or its own deadline timer) and, independently, when the
 * client's deadline passes, so handlers see DEADLINE_EXCEEDED even before grpc-js reacts.
 */
function openScope(call: AnyServerCall): Scope {
  const controller = new AbortController();
  const path = call.getPath();
  const rawDeadline = call.getDeadline();
  const deadlineMs = rawDeadline instanceof Date ? rawDeadline.getTime() : rawDeadline;
  const deadline = Number.isFinite(deadlineMs) ? new Date(deadlineMs) : undefined;

  const onDeadline = () => controller.abort(new RpcError(status.DEADLINE_EXCEEDED, "Deadline exceeded"));
  const onCancelled = () => {
    // grpc-js's own deadline timer also ends the call as "cancelled", possibly a millisecond
    // before ours fires (timer rounding); report that as the deadline it is.
    if (deadline !== undefined && Date.now() >= deadline.getTime() - DEADLINE_SLACK_MS) onDeadline();
    else controller.abort(new RpcError(status.CANCELLED, "Call cancelled"));
  };
  // Every grpc-js server call is an EventEmitter; the union of their typings is not callable.
  const events = call as EventEmitter;
  events.on("cancelled", onCancelled);
  const timer =
    deadline === undefined ? undefined : setTimeout(onDeadline, Math.max(0, deadlineMs - Date.now()));
  // Covers a cancel that happened before the handler started.
  if (call.cancelled) onCancelled();

  return {
    ctx: { signal: controller.signal, deadline, metadata: call.metadata, peer: call.getPeer(), path },
    close() {
      clearTimeout(timer);
      events.off("cancelled", onCancelled);
    },
  };
}

/**
 * Writes the handler's responses with backpressure: waits for 'drain' when grpc-js's buffer is
 * full, and stops pulling from the handler (which runs its `finally`) once the call is aborted.
 * A handler that ends its stream because the call was aborted (a follower that stops when its
 * signal fires) did not finish it: the call then ends with the abort's status, never OK, or a
 * client whose deadline the server noticed first would take a cut stream for a complete one.
 */
async function writeAll(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  produce: () => AsyncIterable<unknown>,
  signal: AbortSignal,
): Promise<void> {
  for await (const message of produce()) {
    signal.throwIfAborted();
    if (!call.write(message)) await once(call, "drain", { signal });
  }
  signal.throwIfAborted();
}

interface RequestStream {
  readonly messages: AsyncIterable<unknown>;
  /** Set when a malformed request arrived; the call then ends INVALID_ARGUMENT whatever the handler did. */
  malformed: MalformedMessage | undefined;
}

/** The call's incoming messages as an async iterable that throws INVALID_ARGUMENT on a malformed one. */
function readAll(
  call: ServerReadableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  signal: AbortSignal,
): RequestStream {
  const stream: RequestStream = { messages: messages(), malformed: undefined };
  async function* messages(): AsyncGenerator<unknown> {
    try {
      // destroyOnReturn: false, or Node's iterator would destroy the duplex (and its writable
      // side) as soon as the requests end, before a bidi handler has written its responses.
      for await (const message of call.iterator({ destroyOnReturn: false })) {
        if (message instanceof MalformedMessage) {
          stream.malformed = message;
          throw new RpcError(status.INVALID_ARGUMENT, `Malformed ${message.typeName}: ${message.reason}`);
        }
        yield message;
      }
    } catch (err) {
      // A cancelled call destroys the stream ("premature close"); report why instead.
      throw signal.aborted ? signal.reason : err;
    }
  }
  return stream;
}
