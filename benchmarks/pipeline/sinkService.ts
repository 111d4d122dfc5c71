/** Raw-bytes service definition shared by the loopback sink server and its client. */
import type { ServiceDefinition } from "@grpc/grpc-js";

const id = (b: Buffer): Buffer => b;

export const SINK_SERVICE: ServiceDefinition = {
  stream: {
    path: "/bench.Sink/Stream",
    requestStream: true,
    responseStream: false,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
  unary: {
    path: "/bench.Sink/Unary",
    requestStream: false,
    responseStream: false,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
};
