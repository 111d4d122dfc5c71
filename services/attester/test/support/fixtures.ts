/** Test fixtures: epochs with real BLS keys and valid blob headers (no blob data needed here). */
import { randomBytes } from "node:crypto";
import {
  type BlobHeader,
  chooseSquareParams,
  type EpochMembership,
  getPreset,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
} from "@tributary/protocol";

export type KeyedMember = {
  id: string;
  secretKey: Uint8Array;
  blsPublicKey: Uint8Array;
  weight: number;
  proofOfPossession: Uint8Array;
};

export function keyedMember(id: string, weight = 1): KeyedMember {
  const secretKey = secretKeyFromSeed(randomBytes(32));
  return {
    id,
    secretKey,
    blsPublicKey: publicKeyOf(secretKey),
    weight,
    proofOfPossession: proveProofOfPossession(secretKey),
  };
}

/** An epoch over the given storage shards (keys from `keyedMember`, each with its endpoint). */
export function testEpoch(
  n: number,
  storage: readonly (KeyedMember & { endpoint: string })[],
  opts: { replication?: number; consensusShards?: number } = {},
): EpochMembership {
  const strip = ({ secretKey: _sk, ...m }: KeyedMember) => m;
  return {
    epoch: n,
    replication: opts.replication ?? 2,
    columnMargin: 0,
    storageShards: storage.map((s) => ({ ...strip(s), endpoint: s.endpoint })),
    consensusShards: Array.from({ length: opts.consensusShards ?? 1 }, (_, i) => ({
      id: `consensus-${i}`,
      validators: [strip(keyedMember(`consensus-${i}-v0`))],
    })),
  };
}

export function testHeader(epoch: number, size = 1000, namespace?: Uint8Array): BlobHeader {
  const params = chooseSquareParams(size, getPreset("devnet"));
  const ns = namespace ?? Uint8Array.from([0x01, ...randomBytes(15)]);
  return {
    version: 1,
    preset: "devnet",
    namespace: ns,
    account: new Uint8Array(20),
    nonce: BigInt(randomBytes(4).readUInt32BE(0)),
    timestampMs: Date.now(),
    size,
    k: params.k,
    cellSize: params.cellSize,
    dataRoot: randomBytes(32),
    retentionSeconds: 3600,
    epoch,
  };
}
