/**
 * GetBlobsByNamespace over the namespace index (docs/pipeline.md): sorted set
 * `tributary:ns:<namespaceHex>:<shardId>`, score = height * 2^20 + indexInBlock, member =
 * blob key hex, written by the consensus leader when a blob is CONFIRMED. Scores stay exact
 * doubles for heights below 2^33.
 */
import { type BlobHeader, decodeBlobHeader } from "@tributary/protocol";
import type { BlobStatusName, BlobStatusStore } from "@tributary/runtime";
import type { Redis } from "ioredis";
import { fromHex, hex } from "./hex.ts";

export const INDEX_SLOTS = 2 ** 20;

export function namespaceIndexKey(namespace: Uint8Array, shardId: string): string {
  return `tributary:ns:${hex(namespace)}:${shardId}`;
}

export interface NamespaceQuery {
  readonly namespace: Uint8Array;
  readonly shardId: string;
  readonly fromHeight: bigint;
  /** 0: up to the head. */
  readonly toHeight: bigint;
  readonly fromIndex: number;
  readonly limit: number;
}

export interface NamespaceEntry {
  readonly blobKey: Uint8Array;
  readonly header: BlobHeader | undefined;
  readonly shardId: string;
  readonly height: bigint;
  readonly indexInBlock: number;
  readonly status: BlobStatusName | undefined;
}

/** The score range [min, max] of a query (pure). */
export function scoreRange(
  q: Pick<NamespaceQuery, "fromHeight" | "toHeight" | "fromIndex">,
): [string, string] {
  const min = q.fromHeight * BigInt(INDEX_SLOTS) + BigInt(Math.min(q.fromIndex, INDEX_SLOTS - 1));
  const max = q.toHeight === 0n ? "+inf" : String((q.toHeight + 1n) * BigInt(INDEX_SLOTS) - 1n);
  return [String(min), max];
}

export async function listNamespace(
  redis: Redis,
  store: BlobStatusStore,
  q: NamespaceQuery,
): Promise<NamespaceEntry[]> {
  if (q.toHeight !== 0n && q.toHeight < q.fromHeight) return [];
  const [min, max] = scoreRange(q);
  const flat = await redis.zrangebyscore(
    namespaceIndexKey(q.namespace, q.shardId),
    min,
    max,
    "WITHSCORES",
    "LIMIT",
    0,
    q.limit,
  );
  const entries: NamespaceEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const blobKey = fromHex(flat[i]!);
    const score = BigInt(Math.round(Number(flat[i + 1]!)));
    const record = await store.get(blobKey);
    const header =
      record?.fields.header === undefined ? undefined : decodeBlobHeader(fromHex(record.fields.header));
    entries.push({
      blobKey,
      header,
      shardId: q.shardId,
      height: score / BigInt(INDEX_SLOTS),
      indexInBlock: Number(score % BigInt(INDEX_SLOTS)),
      status: record?.status,
    });
  }
  return entries;
}
