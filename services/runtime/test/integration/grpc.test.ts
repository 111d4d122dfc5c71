import { connect } from "node:http2";
import { Writable } from "node:stream";
import {
  type Client,
  type ServiceError as GrpcCallError,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createGrpcServer,
  DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES,
  deadlineIn,
  type GrpcServer,
  grpcClientOptions,
  insecureChannelCredentials,
} from "../../src/grpc.ts";
import { getErrorCode, ServiceError, toGrpcStatus } from "../../src/grpcStatus.ts";
import { createLogger } from "../../src/logger.ts";

// A proto-less service: bytes in, bytes out (runtime must not depend on proto/).
const identity = (b: Buffer) => b;
const echoService: ServiceDefinition = {
  echo: {
    path: "/tributary.test.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
type EchoClient = Client & {
  echo(req: Buffer, opts: { deadline: Date }, cb: (err: GrpcCallError | null, res?: Buffer) => void): void;
};
const EchoClientCtor = makeGenericClientConstructor(echoService, "Echo");

const silent = new Writable({ write: (_chunk, _enc, cb) => cb() });
const logger = createLogger({ service: "test", destination: silent });

/** What a server advertises: SETTINGS_INITIAL_WINDOW_SIZE and the connection window it opens. */
async function readServerWindows(
  port: number,
): Promise<{ initialWindowSize: number; connectionWindow: number }> {
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("error", reject);
    });
    // A connection-level WINDOW_UPDATE, if any, follows the SETTINGS frame: give it a moment.
    await new Promise((r) => setTimeout(r, 100));
    return {
      initialWindowSize: session.remoteSettings.initialWindowSize ?? -1,
      connectionWindow: session.state.remoteWindowSize ?? -1,
    };
  } finally {
    session.close();
  }
}

describe("gRPC server factory", () => {
  let grpc: GrpcServer;
  let port: number;
  let client: EchoClient;

  beforeAll(async () => {
    grpc = createGrpcServer({}, { logger });
    grpc.server.addService(echoService, {
      echo: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        if (call.request.length === 1 && call.request[0] === 0xff) {
          cb(
            toGrpcStatus(
              new ServiceError({ code: "TEST_ERROR_REJECTED", kind: "rate_limited" }, "Slow down"),
            ),
          );
        } else if (call.request.length === 1 && call.request[0] === 0xee) {
          cb(toGrpcStatus(new Error("secret internals")));
        } else {
          cb(null, call.request);
        }
      },
    });
    port = await grpc.bind("127.0.0.1", 0);
    client = new EchoClientCtor(
      `127.0.0.1:${port}`,
      insecureChannelCredentials(),
      grpcClientOptions(),
    ) as unknown as EchoClient;
  });
  afterAll(async () => {
    client?.close();
    await grpc?.shutdown(1000);
  });

  const echo = (req: Buffer) =>
    new Promise<Buffer>((resolve, reject) =>
      client.echo(req, { deadline: deadlineIn(10_000) }, (err, res) => (err ? reject(err) : resolve(res!))),
    );

  it("plain grpc-js servers keep Node's 64 KiB window (why raiseServerWindows exists)", async () => {
    const plain = new Server({ "grpc-node.flow_control_window": DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES });
    const plainPort = await new Promise<number>((resolve, reject) =>
      plain.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const settings = await readServerWindows(plainPort);
    plain.forceShutdown();
    expect(settings).toEqual({ initialWindowSize: 65535, connectionWindow: 65535 });
  });

  it("advertises raised HTTP/2 stream and connection windows to clients", async () => {
    expect(await readServerWindows(port)).toEqual({
      initialWindowSize: DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES,
      connectionWindow: DEFAULT_GRPC_FLOW_CONTROL_WINDOW_BYTES,
    });
  });

  it("carries messages larger than grpc-js' 4 MiB default both ways", async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    const res = await echo(big);
    expect(res.length).toBe(big.length);
    expect(res.equals(big)).toBe(true);
  });

  it("maps ServiceError kinds to status codes with the code in the trailer; other errors to INTERNAL", async () => {
    const rejected = await echo(Buffer.from([0xff])).catch((e: GrpcCallError) => e);
    expect((rejected as GrpcCallError).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((rejected as GrpcCallError).details).toBe("Slow down");
    expect(getErrorCode(rejected)).toBe("TEST_ERROR_REJECTED");

    const internal = (await echo(Buffer.from([0xee])).catch((e: GrpcCallError) => e)) as GrpcCallError;
    expect(internal.code).toBe(status.INTERNAL);
    expect(internal.details).toBe("Internal error");
  });

  it("shuts down gracefully, forcing after the timeout", async () => {
    const other = createGrpcServer({}, { logger });
    other.server.addService(echoService, {
      // Never answers: only forceShutdown can end this call.
      echo: () => {},
    });
    const otherPort = await other.bind("127.0.0.1", 0);
    const c = new EchoClientCtor(
      `127.0.0.1:${otherPort}`,
      insecureChannelCredentials(),
    ) as unknown as EchoClient;
    const pending = new Promise<GrpcCallError | null>((resolve) =>
      c.echo(Buffer.from([1]), { deadline: deadlineIn(30_000) }, (err) => resolve(err)),
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.shutdown(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const err = await pending;
    expect(err?.code).toBe(status.CANCELLED);
    c.close();
  });
});
