/**
 * The standard gRPC health service (grpc/grpc doc/health-checking.md, `grpc.health.v1.Health`):
 * Check and Watch, so `grpc_health_probe`, grpcurl and Kubernetes gRPC probes work against the
 * public port. The two tiny messages are encoded by hand with protobuf-es' wire codec (no
 * generated code for grpc/health/v1/health.proto in the repo):
 *   HealthCheckRequest  { string service = 1; }
 *   HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";

export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** `malformed` says why the bytes are not a HealthCheckRequest; the handlers answer INVALID_ARGUMENT. */
type HealthRequest = { service: string; malformed?: string };

// Never throws: grpc-js answers a throwing deserializer with INTERNAL (found by test/faults).
function decodeRequest(bytes: Buffer): HealthRequest {
  try {
    const reader = new BinaryReader(bytes);
    let service = "";
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === 2) service = reader.string();
      else reader.skip(wireType);
    }
    return { service };
  } catch (err) {
    return { service: "", malformed: err instanceof Error ? err.message : String(err) };
  }
}

function malformedStatus(request: HealthRequest) {
  return { code: status.INVALID_ARGUMENT, details: `Malformed HealthCheckRequest: ${request.malformed}` };
}

function encodeResponse(value: { status: ServingStatus }): Buffer {
  const writer = new BinaryWriter();
  if (value.status !== 0) writer.uint32(8).int32(value.status);
  return Buffer.from(writer.finish());
}

const codec = {
  requestSerialize: () => Buffer.alloc(0),
  requestDeserialize: decodeRequest,
  responseSerialize: encodeResponse,
  responseDeserialize: () => ({ status: ServingStatus.UNKNOWN }),
};

const definition: ServiceDefinition = {
  check: { path: "/grpc.health.v1.Health/Check", requestStream: false, responseStream: false, ...codec },
  watch: { path: "/grpc.health.v1.Health/Watch", requestStream: false, responseStream: true, ...codec },
};

/** Serving status per service name ("" is the whole server); changes reach every Watch. */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<(service: string) => void>();
  private readonly openWatches = new Set<ServerWritableStream<HealthRequest, unknown>>();

  constructor(services: readonly string[]) {
    this.statuses.set("", ServingStatus.SERVING);
    for (const s of services) this.statuses.set(s, ServingStatus.SERVING);
  }

  set(service: string, value: ServingStatus): void {
    this.statuses.set(service, value);
    for (const w of this.watchers) w(service);
  }

  /**
   * Marks everything NOT_SERVING (load balancers drain before the port closes), then ends the
   * Watch streams so a graceful server shutdown does not wait on them.
   */
  shutdown(): void {
    for (const service of this.statuses.keys()) this.set(service, ServingStatus.NOT_SERVING);
    for (const call of this.openWatches) call.end();
    this.openWatches.clear();
  }

  addTo(server: Server): void {
    server.addService(definition, {
      check: (call: ServerUnaryCall<HealthRequest, unknown>, callback: sendUnaryData<unknown>) => {
        if (call.request.malformed !== undefined) return callback(malformedStatus(call.request));
        const value = this.statuses.get(call.request.service);
        if (value === undefined) callback({ code: status.NOT_FOUND, details: "unknown service" });
        else callback(null, { status: value });
      },
      watch: (call: ServerWritableStream<HealthRequest, unknown>) => {
        if (call.request.malformed !== undefined) {
          call.emit("error", malformedStatus(call.request));
          return;
        }
        const name = call.request.service;
        const send = () => call.write({ status: this.statuses.get(name) ?? ServingStatus.SERVICE_UNKNOWN });
        const watcher = (service: string) => {
          if (service === name) send();
        };
        const forget = () => {
          this.watchers.delete(watcher);
          this.openWatches.delete(call);
        };
        this.watchers.add(watcher);
        this.openWatches.add(call);
        call.on("cancelled", forget);
        call.on("close", forget);
        send();
      },
    });
  }
}
