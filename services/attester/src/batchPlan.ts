/**
 * Planning one dispersal batch (pure): the batch header over the blob keys in batch order, the
 * columns each storage shard of the epoch is expected to hold for every blob (its SignBatch
 * request), and each blob's inclusion proof.
 */
import {
  type BatchHeader,
  type BlobHeader,
  batchInclusionProof,
  batchRoot,
  type CertifiedBlob,
  columnHolderIndices,
  type EpochMembership,
  type MerkleProof,
} from "@tributary/protocol";

export type PlannedBlob = {
  readonly blobKey: Uint8Array;
  readonly header: BlobHeader;
};

export type ShardSignRequest = {
  readonly shardIndex: number;
  readonly shardId: string;
  readonly endpoint: string;
  /** Every blob of the batch in batch order, with the columns this shard must hold (maybe none). */
  readonly blobs: readonly { readonly blobKey: Uint8Array; readonly columns: readonly number[] }[];
};

export type BatchPlan = {
  readonly header: BatchHeader;
  readonly blobs: readonly PlannedBlob[];
  /** What `verifyCertificate` needs: every blob's key and k, in batch order. */
  readonly certifiedBlobs: readonly CertifiedBlob[];
  /** One request per storage shard of the epoch, in membership order. */
  readonly requests: readonly ShardSignRequest[];
};

export function planBatch(
  epoch: EpochMembership,
  blobs: readonly PlannedBlob[],
  attesterId: string,
  nowMs: number,
): BatchPlan {
  if (blobs.length === 0) throw new RangeError("a batch needs at least one blob");
  for (const b of blobs) {
    if (b.header.epoch !== epoch.epoch)
      throw new RangeError("every blob of a batch must name the batch epoch");
  }
  const keys = blobs.map((b) => b.blobKey);
  const header: BatchHeader = {
    epoch: epoch.epoch,
    batchRoot: batchRoot(keys),
    blobCount: blobs.length,
    createdAtMs: nowMs,
    attesterId,
  };
  const shardCount = epoch.storageShards.length;
  const columnsByShard: number[][][] = Array.from({ length: shardCount }, () => blobs.map(() => []));
  const r = epoch.replication;
  blobs.forEach((b, blobIndex) => {
    const columnCount = 2 * b.header.k;
    const holders = columnHolderIndices(epoch, b.blobKey, columnCount);
    for (let j = 0; j < columnCount; j++) {
      for (let q = 0; q < r; q++) columnsByShard[holders[j * r + q]!]![blobIndex]!.push(j);
    }
  });
  const requests = epoch.storageShards.map((shard, shardIndex) => ({
    shardIndex,
    shardId: shard.id,
    endpoint: shard.endpoint,
    blobs: blobs.map((b, blobIndex) => ({
      blobKey: b.blobKey,
      columns: columnsByShard[shardIndex]![blobIndex]!,
    })),
  }));
  return {
    header,
    blobs,
    certifiedBlobs: blobs.map((b) => ({ blobKey: b.blobKey, k: b.header.k })),
    requests,
  };
}

/** Inclusion proofs of every blob of the plan, in batch order (one tree build per proof). */
export function inclusionProofs(plan: BatchPlan): MerkleProof[] {
  const keys = plan.blobs.map((b) => b.blobKey);
  return keys.map((_, i) => batchInclusionProof(keys, i));
}
