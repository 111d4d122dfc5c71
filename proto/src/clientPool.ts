/**
 * One gRPC client per endpoint of a service, created on first use and reused, so a service that
 * talks to every storage shard keeps one channel (one HTTP/2 connection) per shard instead of
 * dialling per call. `retainOnly` closes the clients of endpoints that left the membership; a later
 * request for such an endpoint (an old epoch) simply reopens it.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type ClientOptions, createClient, type ServiceClient } from "./grpcClient.ts";

export class ClientPool<S extends DescService> {
  private readonly byEndpoint = new Map<string, ServiceClient<S>>();
  private readonly service: S;
  private readonly options: ClientOptions;

  constructor(service: S, options: ClientOptions = {}) {
    this.service = service;
    this.options = options;
  }

  get(endpoint: string): ServiceClient<S> {
    let client = this.byEndpoint.get(endpoint);
    if (client === undefined) {
      client = createClient(this.service, endpoint, this.options);
      this.byEndpoint.set(endpoint, client);
    }
    return client;
  }

  /** Closes the clients of endpoints not in `keep` (called on an epoch change). */
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
