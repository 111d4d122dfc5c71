/**
 * The bridge between protobuf-es v2 service descriptors (the generated `GenService` constants in
 * src/gen/) and @grpc/grpc-js: method paths, binary codecs and the handler/client types derived
 * from the descriptors. `grpcServer.ts` builds server implementations from it and
 * `grpcClient.ts` typed clients.
 *
 * Malformed requests: grpc-js answers any exception thrown by a request deserializer with
 * INTERNAL ("Error deserializing request"), ignoring the error's code. A malformed request is the
 * caller's fault, so the server-side deserializer never throws: it returns a `MalformedMessage`
 * marker, and the server wrapper answers INVALID_ARGUMENT when a handler would receive one.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import type { ChannelOptions, Metadata, MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** What the server-side request deserializer returns for bytes that are not a valid message. */
export class MalformedMessage {
  readonly typeName: string;
  readonly reason: string;

  constructor(typeName: string, reason: string) {
    this.typeName = typeName;
    this.reason = reason;
  }
}

/** The gRPC path of a method: `/tributary.storage.v1.StorageShard/StoreColumns`. */
export function getMethodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * A message of `schema` already in wire format, sent as it is. For the storage lane's bulk
 * messages: protobuf-es encodes through a growing buffer (zero-filled growth, a copy per growth,
 * a shift of the payload behind a nested length prefix, a final slice), about four copies of
 * every megabyte, where a writer that knows the layout needs one. Whoever builds one is
 * responsible for the bytes being a valid encoding (test it against `toBinary`).
 */
export class EncodedMessage<Desc extends DescMessage = DescMessage> {
  readonly schema: Desc;
  readonly bytes: Uint8Array;

  constructor(schema: Desc, bytes: Uint8Array) {
    this.schema = schema;
    this.bytes = bytes;
  }
}

/**
 * Encodes `value` plus `bytes` as its field `fieldName`, copying `bytes` once, straight into the
 * wire buffer. For messages that carry one bulk `bytes` field (a blob) next to small ones. The
 * field must be a singular `bytes` field with the lowest or the highest field number of the
 * message: the rest is encoded by protobuf-es (which writes fields in number order, without the
 * empty bulk field) and the bulk field put before or after it, which is exactly protobuf-es's
 * own output.
 */
export function encodeWithBulkBytes<Desc extends DescMessage>(
  schema: Desc,
  value: MessageInitShape<Desc>,
  fieldName: string,
  bytes: Uint8Array,
): EncodedMessage<Desc> {
  const field = schema.fields.find((f) => f.localName === fieldName);
  const numbers = schema.fields.map((f) => f.number);
  const first = field !== undefined && field.number === Math.min(...numbers);
  const last = field !== undefined && field.number === Math.max(...numbers);
  if (field === undefined || field.fieldKind !== "scalar" || field.scalar !== ScalarType.BYTES) {
    throw new TypeError(`${schema.typeName}.${fieldName} is not a bytes field`);
  }
  if (!(first || last) || field.oneof !== undefined) {
    throw new TypeError(
      `${schema.typeName}.${fieldName} must be the lowest- or highest-numbered field, outside any oneof`,
    );
  }
  const rest = toBinary(
    schema,
    create(schema, { ...value, [fieldName]: new Uint8Array(0) } as MessageInitShape<Desc>),
  );
  if (bytes.length === 0) return new EncodedMessage(schema, rest);
  const tag = (field.number << 3) | 2;
  const prefix = [...varint(tag), ...varint(bytes.length)];
  const out = Buffer.allocUnsafe(rest.length + prefix.length + bytes.length);
  const at = first ? 0 : rest.length;
  out.set(prefix, at);
  out.set(bytes, at + prefix.length);
  out.set(rest, first ? prefix.length + bytes.length : 0);
  return new EncodedMessage(schema, out);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * Encodes a message, or a plain init object, of `schema`. Returns a Buffer view over the encoded
 * bytes (no copy): grpc-js frames Buffers. An `EncodedMessage` of the same schema passes as is.
 */
export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  value: MessageInitShape<Desc> | MessageShape<Desc> | EncodedMessage<Desc>,
): Buffer {
  if (value instanceof EncodedMessage) {
    if (value.schema.typeName !== schema.typeName) {
      throw new TypeError(
        `EncodedMessage of ${value.schema.typeName} sent where ${schema.typeName} is expected`,
      );
    }
    return Buffer.from(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength);
  }
  const bytes = toBinary(schema, create(schema, value as MessageInitShape<Desc>));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes bytes received from grpc-js. The bytes are viewed as a plain Uint8Array first so that
 * `bytes` fields are plain Uint8Arrays (not Buffers with their different `slice` semantics); they
 * still share memory with the received frame, which grpc-js does not reuse.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  return fromBinary(schema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Server-side request decoder: a malformed request becomes a `MalformedMessage`, never a throw. */
function decodeRequest<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): MessageShape<Desc> | MalformedMessage {
  try {
    return decodeMessage(schema, bytes);
  } catch (err) {
    return new MalformedMessage(schema.typeName, err instanceof Error ? err.message : String(err));
  }
}

/** The grpc-js method definition of one rpc: path, streaming flags and codecs for both sides. */
export function createMethodDefinition(method: DescMethod): MethodDefinition<unknown, unknown> {
  const kind = method.methodKind;
  return {
    path: getMethodPath(method),
    originalName: method.localName,
    requestStream: kind === "client_streaming" || kind === "bidi_streaming",
    responseStream: kind === "server_streaming" || kind === "bidi_streaming",
    requestSerialize: (value) => encodeMessage(method.input, value as MessageInitShape<DescMessage>),
    requestDeserialize: (bytes) => decodeRequest(method.input, bytes),
    responseSerialize: (value) => encodeMessage(method.output, value as MessageInitShape<DescMessage>),
    // A malformed response is the server's fault; grpc-js reports the throw as INTERNAL, which fits.
    responseDeserialize: (bytes) => decodeMessage(method.output, bytes),
  };
}

/** The grpc-js service definition of a protobuf-es service, keyed by the methods' local names. */
export function createServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) definition[method.localName] = createMethodDefinition(method);
  return definition;
}

/**
 * grpc-js channel/server options that raise both message size limits to `bytes` (grpc-js
 * defaults: 4 MiB receive, unlimited send). Blobs go up to 32 MiB plus framing.
 */
export function messageSizeOptions(bytes: number): ChannelOptions {
  return { "grpc.max_receive_message_length": bytes, "grpc.max_send_message_length": bytes };
}

// ---- Types derived from descriptors ----------------------------------------------------------

/** The decoded request message of a method. */
export type RequestOf<M extends DescMethod> = MessageShape<M["input"]>;
/** What callers may pass as a request: a message or a plain init object. */
export type RequestInitOf<M extends DescMethod> = MessageInitShape<M["input"]>;
/** The decoded response message of a method. */
export type ResponseOf<M extends DescMethod> = MessageShape<M["output"]>;
/** What handlers may return as a response: a message or a plain init object. */
export type ResponseInitOf<M extends DescMethod> = MessageInitShape<M["output"]>;

/** The methods of a service by local name (`storeColumns`), with their literal kinds. */
export type MethodsOf<S extends DescService> = S["method"];

/** What every server handler receives besides its request(s). */
export interface HandlerContext {
  /**
   * Aborted when the call ends early: the client cancelled, the deadline passed or the server is
   * shutting down. Pass it on to downstream work; `signal.reason` is an `RpcError` (CANCELLED or
   * DEADLINE_EXCEEDED).
   */
  readonly signal: AbortSignal;
  /** The client's deadline, if it set one; pass it on to downstream calls. */
  readonly deadline: Date | undefined;
  /** Request metadata (headers). */
  readonly metadata: Metadata;
  /** The client's address, for logs. */
  readonly peer: string;
  /** The gRPC path being served, for logs and metrics. */
  readonly path: string;
}
