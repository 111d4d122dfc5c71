/** The known-good call of a server with gRPC health: Check("") must answer SERVING. */
import type { Client } from "../../../proto/src/index.ts";

const SERVING = Buffer.from([8, 1]); // HealthCheckResponse{status: SERVING}

export async function expectServing(client: Client): Promise<void> {
  const reply = await new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      (err, value) => (err ? reject(err) : resolve(value as Buffer)),
    ),
  );
  if (!reply.equals(SERVING)) throw new Error("probe: health is not SERVING");
}
