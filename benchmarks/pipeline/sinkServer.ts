/**
 * A gRPC sink for the loopback ceiling (run as its own process by grpcCeiling.ts, so client and
 * server each get a core as the devnet's processes do): `Stream` (client streaming) and `Unary`
 * take raw bytes and answer with the byte count. Same server settings as every service
 * (runtime's grpcServerOptions + raised HTTP/2 windows). Prints the bound port on stdout.
 */
import { Server, ServerCredentials, type ServerReadableStream, type ServerUnaryCall } from "@grpc/grpc-js";
import { grpcServerOptions, raiseServerWindows } from "../../services/runtime/src/grpc.ts";
import { SINK_SERVICE } from "./sinkService.ts";

const server = new Server(grpcServerOptions());
if (!raiseServerWindows(server, 16 * 2 ** 20)) console.error("warning: could not raise server windows");

function count(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

server.addService(SINK_SERVICE, {
  stream: (call: ServerReadableStream<Buffer, Buffer>, cb: (err: null, res: Buffer) => void) => {
    let n = 0;
    call.on("data", (b: Buffer) => {
      n += b.length;
    });
    call.on("end", () => cb(null, count(n)));
  },
  unary: (call: ServerUnaryCall<Buffer, Buffer>, cb: (err: null, res: Buffer) => void) => {
    cb(null, count(call.request.length));
  },
});

server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
