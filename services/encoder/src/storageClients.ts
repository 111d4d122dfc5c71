/**
 * One grpc-js channel per storage shard endpoint, created on first use with the storage lane's
 * raised HTTP/2 windows and message limits (runtime's `grpcClientOptions`), cached, and closed
 * when an epoch change drops the endpoint (a later request for an old epoch reopens it).
 */
import { createClient, type ServiceClient } from "@tributary/proto";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import { type GrpcClientOptions, grpcClientOptions } from "@tributary/runtime";

export type StorageClient = ServiceClient<typeof StorageShard>;

export class StorageClients {
  private readonly byEndpoint = new Map<string, StorageClient>();
  private readonly channelOptions: ReturnType<typeof grpcClientOptions>;

  constructor(opts: GrpcClientOptions = {}) {
    this.channelOptions = grpcClientOptions(opts);
  }

  get(endpoint: string): StorageClient {
    let client = this.byEndpoint.get(endpoint);
    if (client === undefined) {
      client = createClient(StorageShard, endpoint, { channelOptions: this.channelOptions });
      this.byEndpoint.set(endpoint, client);
    }
    return client;
  }

  /** Closes the channels of endpoints not in `keep` (called on an epoch change). */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [endpoint, client] of this.byEndpoint) {
      if (!keep.has(endpoint)) {
        client.$close();
        this.byEndpoint.delete(endpoint);
      }
    }
  }

  close(): void {
    for (const client of this.byEndpoint.values()) client.$close();
    this.byEndpoint.clear();
  }
}
