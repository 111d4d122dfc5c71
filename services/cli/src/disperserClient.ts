import { createClient, messageSizeOptions, type ServiceClient } from "@tributary/proto";
import { Disperser } from "@tributary/proto/tributary/disperser/v1/disperser";

export type DisperserClient = ServiceClient<typeof Disperser>;

/** A client of the public API; 64 MiB messages so that a 32 MiB blob fits one request. */
export function connectDisperser(address: string): DisperserClient {
  return createClient(Disperser, address, { channelOptions: messageSizeOptions(64 * 1024 * 1024) });
}
