/** Fixtures: a real encoded blob with its header, and an epoch with real BLS keys. */
import { randomBytes } from "node:crypto";
import {
  type BlobHeader,
  blobKey,
  ColumnAssignment,
  type CommittedSquare,
  type EpochMembership,
  encodeBlob,
  getPreset,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
} from "@tributary/protocol";

export function member(id: string) {
  const sk = secretKeyFromSeed(randomBytes(32));
  return { id, blsPublicKey: publicKeyOf(sk), weight: 1, proofOfPossession: proveProofOfPossession(sk) };
}

export function testEpoch(n: number, endpoints: readonly string[], replication = 2): EpochMembership {
  return {
    epoch: n,
    replication,
    columnMargin: 0,
    storageShards: endpoints.map((endpoint, i) => ({ ...member(`storage-${i}`), endpoint })),
    consensusShards: [{ id: "consensus-0", validators: [member("consensus-0-v0")] }],
  };
}

export function encodedBlob(
  epoch: number,
  size = 1000,
): { header: BlobHeader; key: Uint8Array; committed: CommittedSquare } {
  const data = randomBytes(size);
  const committed = encodeBlob(data, getPreset("devnet"));
  const header: BlobHeader = {
    version: 1,
    preset: "devnet",
    namespace: Uint8Array.from([0x01, ...randomBytes(15)]),
    account: new Uint8Array(20),
    nonce: 1n,
    timestampMs: Date.now(),
    size,
    k: committed.square.params.k,
    cellSize: committed.square.params.cellSize,
    dataRoot: committed.commitment.dataRoot,
    retentionSeconds: 3600,
    epoch,
  };
  return { header, key: blobKey(header), committed };
}

/** Index of the storage shard that is first holder of the most columns of a blob. */
export function busiestFirstHolder(epoch: EpochMembership, key: Uint8Array, columns: number): number {
  const a = new ColumnAssignment(epoch, key);
  const counts = epoch.storageShards.map(() => 0);
  for (let j = 0; j < columns; j++) counts[a.shardIndicesForColumn(j)[0]!]!++;
  return counts.indexOf(Math.max(...counts));
}
