/**
 * The encoders the disperser hands blobs to: round-robin over the configured endpoints, and on
 * UNAVAILABLE (encoder down, or too few storage shards answered it) the same request goes to
 * the next encoder, each encoder tried at most once per request.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, createClient, type EncodedMessage, RpcError, type ServiceClient } from "@tributary/proto";
import type { EncodeBlobRequestSchema } from "@tributary/proto/tributary/encoder/v1/encoder";
import {
  type EncodeBlobRequest,
  type EncodeBlobResponse,
  Encoder,
} from "@tributary/proto/tributary/encoder/v1/encoder";
import { grpcClientOptions } from "@tributary/runtime";

export type EncoderClient = ServiceClient<typeof Encoder>;

export type EncodeCall = (
  request:
    | MessageInitShape<typeof EncodeBlobRequestSchema>
    | EncodeBlobRequest
    | EncodedMessage<typeof EncodeBlobRequestSchema>,
  options: { deadline?: Date; signal?: AbortSignal | undefined },
) => Promise<EncodeBlobResponse>;

export type EncoderPoolOptions = { endpoints: readonly string[]; maxMessageBytes?: number };

export class EncoderPool {
  private readonly clients: { endpoint: string; client: EncoderClient }[];
  private next = 0;

  constructor(opts: EncoderPoolOptions) {
    const channelOptions = grpcClientOptions(
      opts.maxMessageBytes === undefined ? {} : { maxMessageBytes: opts.maxMessageBytes },
    );
    this.clients = opts.endpoints.map((endpoint) => ({
      endpoint,
      client: createClient(Encoder, endpoint, { channelOptions }),
    }));
  }

  /**
   * Calls EncodeBlob on the next encoder; on UNAVAILABLE tries the others in turn. Any other
   * error, or UNAVAILABLE from every encoder, is thrown (the last one, with `attempts` noted).
   */
  async encode(
    request: Parameters<EncodeCall>[0],
    options: Parameters<EncodeCall>[1],
    onRetry: (endpoint: string, err: RpcError) => void = () => {},
  ): Promise<EncodeBlobResponse> {
    const start = this.next;
    this.next = (this.next + 1) % this.clients.length;
    let last: RpcError | undefined;
    for (let i = 0; i < this.clients.length; i++) {
      const { endpoint, client } = this.clients[(start + i) % this.clients.length]!;
      try {
        return await client.encodeBlob(request, options);
      } catch (err) {
        if (!(err instanceof RpcError) || err.code !== Code.UNAVAILABLE) throw err;
        last = err;
        if (i + 1 < this.clients.length) onRetry(endpoint, err);
      }
    }
    throw last ?? new RpcError(Code.UNAVAILABLE, "no encoder configured");
  }

  close(): void {
    for (const { client } of this.clients) client.$close();
  }
}
