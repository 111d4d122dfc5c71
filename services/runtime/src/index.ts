// @tributary/runtime: the plumbing every service stands on. Explicit exports only.

export {
  type AdminServer,
  type AdminServerModules,
  type AdminServerOptions,
  adminConfigSchema,
  type ReadinessCheck,
  ReadinessChecks,
  type ReadinessResult,
  startAdminServer,
} from "./adminServer.ts";
export { backoffDelayMs } from "./backoff.ts";
export {
  BLOB_STATUSES,
  type BlobRecord,
  type BlobStatusName,
  BlobStatusStore,
  type BlobStatusStoreModules,
  blobStatusKey,
  statusRank,
} from "./blobStatusStore.ts";
export { CodedError } from "./codedError.ts";
export {
  ConfigError,
  type ConfigErrorType,
  coerceEnvValue,
  envName,
  envPrefix,
  formatPath,
  type LoadConfigOptions,
  loadConfig,
  toUpperSnake,
} from "./config.ts";
export { type ConfigKeyDoc, describeConfig, renderConfigMarkdown } from "./configDocs.ts";
export {
  createGrpcServer,
  DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES,
  DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  deadlineIn,
  type GrpcClientOptions,
  type GrpcServer,
  type GrpcServerModules,
  type GrpcServerOptions,
  grpcClientOptions,
  grpcServerConfigSchema,
  grpcServerOptions,
  insecureChannelCredentials,
  raiseServerWindows,
} from "./grpc.ts";
export {
  ERROR_CODE_METADATA_KEY,
  ERROR_KIND_TO_GRPC_STATUS,
  type ErrorKind,
  type GrpcStatusObject,
  getErrorCode,
  ServiceError,
  type ServiceErrorType,
  serviceErrorStatus,
  toGrpcStatus,
} from "./grpcStatus.ts";
export {
  type Closer,
  type RunServiceOptions,
  runService,
  type ServiceProcess,
  type StartContext,
} from "./lifecycle.ts";
export {
  createLogger,
  LOG_LEVELS,
  type LogContext,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  logConfigSchema,
} from "./logger.ts";
export {
  acceptedEpoch,
  CURRENT_KEY,
  DEFAULT_EPOCH_GRACE_MS,
  epochGraceMsSchema,
  MEMBERSHIP_BUCKET,
  type MembershipJson,
  MembershipView,
  membershipJsonSchema,
  membershipToJson,
  openMembershipBucket,
  parseMembership,
  publishMembership,
  type ReplacedEpoch,
} from "./membership.ts";
export {
  assertMetricName,
  createMetrics,
  createStatusTransitionsCounter,
  type GaugeOptions,
  type HistogramOptions,
  METRIC_UNITS,
  type MetricKind,
  type MetricOptions,
  type Metrics,
  type MetricsOptions,
  metricPrefix,
} from "./metrics.ts";
export {
  connectNats,
  type EnsureStreamConfig,
  ensureKv,
  ensureStream,
  laneNatsConfigSchema,
  type NatsHandle,
  type NatsModules,
  type NatsOptions,
  natsConfigSchema,
  waitForJetStream,
} from "./nats.ts";
export { connectRedis, type RedisConnectOptions, type RedisHandle, redisConfigSchema } from "./redis.ts";
export {
  type Foundation,
  type FoundationModules,
  type FoundationOptions,
  openFoundation,
  openRedis,
} from "./serviceFoundation.ts";
export { sleep } from "./sleep.ts";
export { BULK_BUFFER_V8_FLAGS, SERVICE_NODE_FLAGS, tuneV8ForBulkBuffers } from "./v8Tuning.ts";
