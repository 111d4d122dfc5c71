/**
 * @tributary/proto: the gRPC adapter. The generated messages and services are imported by path,
 * mirroring the .proto files: `@tributary/proto/tributary/disperser/v1/disperser` is generated
 * from tributary/disperser/v1/disperser.proto (see package.json "exports").
 */

// The grpc-js pieces the adapter's API is expressed in, so that callers use the same grpc-js
// instance (credentials and Metadata are checked with instanceof) without importing it themselves.
export {
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerOptions,
} from "@grpc/grpc-js";
export { ClientPool } from "./clientPool.ts";
export {
  type BlobInclusion,
  batchHeaderFromProto,
  batchHeaderToProto,
  blobHeaderFromProto,
  blobHeaderToProto,
  certificateFromProto,
  certificateToProto,
  FieldRangeError,
  inclusionFromProto,
  inclusionToProto,
  merkleProofFromProto,
  merkleProofToProto,
  type StorageReceipt,
  storageReceiptFromProto,
  storageReceiptToProto,
  uint64ToNumber,
} from "./domain.ts";
export {
  createMethodDefinition,
  createServiceDefinition,
  decodeMessage,
  EncodedMessage,
  encodeMessage,
  encodeWithBulkBytes,
  getMethodPath,
  type HandlerContext,
  type MethodsOf,
  messageSizeOptions,
  type RequestInitOf,
  type RequestOf,
  type ResponseInitOf,
  type ResponseOf,
} from "./grpcAdapter.ts";
export {
  type BidiStreamingMethod,
  type CallOptions,
  type ClientMethodOf,
  type ClientOptions,
  type ClientStreamingMethod,
  createClient,
  type ServerStreamingMethod,
  type ServiceClient,
  type UnaryMethod,
} from "./grpcClient.ts";
export {
  addService,
  type BidiStreamingHandler,
  type ClientStreamingHandler,
  type HandlerOf,
  type ImplementOptions,
  implement,
  type ServerStreamingHandler,
  type ServiceHandlers,
  type ServiceImplementation,
  type UnaryHandler,
} from "./grpcServer.ts";
export {
  Code,
  INTERNAL_ERROR_DETAILS,
  RpcError,
  type RpcErrorOptions,
  rpcErrorMapper,
  type TableStatus,
  toStatusObject,
} from "./rpcError.ts";
