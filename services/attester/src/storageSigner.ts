/**
 * The gRPC side of `BatchSigner`: StorageShard.SignBatch over one cached channel per storage
 * shard endpoint. Translates proto <-> domain only; decisions live in certifier.ts.
 */
import { batchHeaderToProto, blobHeaderToProto, ClientPool } from "@tributary/proto";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import { grpcClientOptions } from "@tributary/runtime";
import type { BatchPlan, ShardSignRequest } from "./batchPlan.ts";
import type { BatchSigner } from "./certifier.ts";

export class GrpcBatchSigner implements BatchSigner {
  // SignBatch messages are small (32 bytes + columns per blob): default message limits suffice.
  private readonly clients = new ClientPool(StorageShard, { channelOptions: grpcClientOptions() });

  async signBatch(
    plan: BatchPlan,
    request: ShardSignRequest,
    opts: { readonly timeoutMs: number; readonly signal: AbortSignal },
  ): Promise<Uint8Array> {
    const response = await this.clients.get(request.endpoint).signBatch(
      {
        batchHeader: batchHeaderToProto(plan.header),
        blobs: request.blobs.map((b, i) => ({
          blobKey: b.blobKey,
          columns: [...b.columns],
          header: blobHeaderToProto(plan.blobs[i]!.header),
        })),
      },
      { timeoutMs: opts.timeoutMs, signal: opts.signal },
    );
    if (response.shardId !== "" && response.shardId !== request.shardId) {
      throw new Error(`SignBatch answered by ${response.shardId}, expected ${request.shardId}`);
    }
    if (response.epoch !== 0n && response.epoch !== BigInt(plan.header.epoch)) {
      throw new Error(`SignBatch signed for epoch ${response.epoch}, expected ${plan.header.epoch}`);
    }
    return response.signature;
  }

  close(): void {
    this.clients.close();
  }
}
