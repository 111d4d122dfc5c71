/**
 * Blob statuses written by the consensus shard (leader only): CONFIRMED when a block is stored,
 * FINALIZED when its finality is published, each with {shard, height, blockHash (hex), index},
 * plus the namespace index `tributary:ns:<nsHex>:<shardId>` (score height * 2^20 + index).
 * FINALIZED repeats the position fields so a blob whose CONFIRMED write was lost (leader crash
 * between publish and Redis) still ends complete.
 */
import type { BlobStatusStore } from "@tributary/runtime";
import type { Redis } from "ioredis";
import { namespaceScore } from "./chain.ts";

export type PlacedBlob = {
  readonly blobKey: Uint8Array;
  readonly namespace: Uint8Array | undefined;
  readonly index: number;
};

export class StatusWriter {
  private readonly store: BlobStatusStore;
  private readonly redis: Redis;
  private readonly shardId: string;

  constructor(shardId: string, modules: { store: BlobStatusStore; redis: Redis }) {
    this.shardId = shardId;
    this.store = modules.store;
    this.redis = modules.redis;
  }

  async write(
    status: "CONFIRMED" | "FINALIZED",
    height: number,
    blockHash: Uint8Array,
    blobs: readonly PlacedBlob[],
  ): Promise<void> {
    const hashHex = Buffer.from(blockHash).toString("hex");
    await Promise.all(
      blobs.map((b) =>
        this.store.transition(b.blobKey, status, {
          shard: this.shardId,
          height: String(height),
          blockHash: hashHex,
          index: String(b.index),
        }),
      ),
    );
    const pipeline = this.redis.pipeline();
    for (const b of blobs) {
      if (b.namespace === undefined) continue;
      const nsHex = Buffer.from(b.namespace).toString("hex");
      pipeline.zadd(
        `tributary:ns:${nsHex}:${this.shardId}`,
        namespaceScore(height, b.index),
        Buffer.from(b.blobKey).toString("hex"),
      );
    }
    await pipeline.exec();
  }
}
