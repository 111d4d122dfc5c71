/**
 * A client built by a different tool than the services: @grpc/proto-loader reads the .proto
 * files at run time (no generated code), as a rollup written against the published API would.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));
const REFLECTION = fileURLToPath(new URL("./fixtures/reflection.proto", import.meta.url));

type Callback<T> = (err: grpc.ServiceError | null, value: T) => void;
interface LoadedDisperser extends grpc.Client {
  DisperseBlob(req: object, opts: grpc.CallOptions, cb: Callback<{ blobKey: Buffer; status: string }>): void;
  RetrieveBlob(
    req: object,
  ): grpc.ClientReadableStream<{ start?: { totalSize: string }; chunk?: { data: Buffer } }>;
}

export function loadDisperserClient(address: string): LoadedDisperser {
  const def = protoLoader.loadSync("tributary/disperser/v1/disperser.proto", {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    tributary: {
      disperser: {
        v1: { Disperser: new (a: string, c: grpc.ChannelCredentials, o: object) => LoadedDisperser };
      };
    };
  };
  return new pkg.tributary.disperser.v1.Disperser(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
}

export function disperseWith(
  client: LoadedDisperser,
  data: Buffer,
  namespace: Buffer,
): Promise<{ blobKey: Buffer; status: string }> {
  return new Promise((resolve, reject) =>
    client.DisperseBlob(
      { data, namespace, retentionSeconds: 3600, preset: "devnet" },
      { deadline: Date.now() + 120_000 },
      (err, v) => (err ? reject(err) : resolve(v)),
    ),
  );
}

export async function retrieveWith(client: LoadedDisperser, blobKey: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const msg of client.RetrieveBlob({ blobKey })) {
    if (msg.chunk) parts.push(msg.chunk.data);
  }
  return Buffer.concat(parts);
}

/** Service names the server lists through gRPC reflection (v1). */
export async function listServices(address: string): Promise<string[]> {
  const def = protoLoader.loadSync(REFLECTION, { keepCase: false, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            a: string,
            c: grpc.ChannelCredentials,
          ) => grpc.Client & {
            ServerReflectionInfo(): grpc.ClientDuplexStream<
              object,
              { listServicesResponse?: { service: { name: string }[] } }
            >;
          };
        };
      };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
  try {
    const call = client.ServerReflectionInfo();
    call.write({ listServices: "" });
    call.end();
    for await (const msg of call) {
      if (msg.listServicesResponse)
        return msg.listServicesResponse.service.map((s: { name: string }) => s.name);
    }
    return [];
  } finally {
    client.close();
  }
}
