/**
 * BlobHeader and StorageReceipt between their protobuf form (uint64 as bigint) and the
 * protocol's domain form (numbers where they are safe integers).
 */
import { create } from "@bufbuild/protobuf";
import {
  type BlobHeader as BlobHeaderProto,
  BlobHeaderSchema,
} from "@tributary/proto/tributary/common/v1/blob";
import {
  type StorageReceipt as StorageReceiptProto,
  StorageReceiptSchema,
} from "@tributary/proto/tributary/common/v1/certificate";
import type { BlobHeader } from "@tributary/protocol";

/** What a storage shard acknowledged, in domain form. */
export interface StorageReceipt {
  readonly blobKey: Uint8Array;
  readonly shardId: string;
  readonly epoch: number;
  readonly columns: readonly number[];
  readonly storedAtMs: number;
}

export function headerToProto(header: BlobHeader): BlobHeaderProto {
  return create(BlobHeaderSchema, {
    version: header.version,
    namespace: header.namespace,
    account: header.account,
    nonce: header.nonce,
    timestampMs: BigInt(header.timestampMs),
    size: header.size,
    squareWidth: header.k,
    cellSize: header.cellSize,
    dataRoot: header.dataRoot,
    retentionSeconds: BigInt(header.retentionSeconds),
    epoch: BigInt(header.epoch),
    preset: header.preset,
  });
}

export function receiptToProto(receipt: StorageReceipt): StorageReceiptProto {
  return create(StorageReceiptSchema, {
    blobKey: receipt.blobKey,
    shardId: receipt.shardId,
    epoch: BigInt(receipt.epoch),
    columns: [...receipt.columns],
    storedAtMs: BigInt(receipt.storedAtMs),
  });
}

export function receiptFromProto(receipt: StorageReceiptProto): StorageReceipt {
  return {
    blobKey: receipt.blobKey,
    shardId: receipt.shardId,
    epoch: toSafeNumber(receipt.epoch),
    columns: receipt.columns,
    storedAtMs: toSafeNumber(receipt.storedAtMs),
  };
}

/** A uint64 as a number; values above 2^53 become -1, which every range check then rejects. */
export function toSafeNumber(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
}
