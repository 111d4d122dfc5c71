/** Test fixtures: epochs with real BLS keys, valid headers and real certificates. */
import { randomBytes } from "node:crypto";
import {
  type BatchHeader,
  type BlobHeader,
  batchInclusionProof,
  batchRoot,
  batchSigningMessage,
  blobKey,
  buildCertificate,
  type Certificate,
  chooseSquareParams,
  type EpochMembership,
  getPreset,
  type MerkleProof,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
  sign,
} from "@tributary/protocol";

export function keyed(id: string, weight = 1) {
  const secretKey = secretKeyFromSeed(randomBytes(32));
  return {
    id,
    secretKey,
    blsPublicKey: publicKeyOf(secretKey),
    weight,
    proofOfPossession: proveProofOfPossession(secretKey),
  };
}
export type Keyed = ReturnType<typeof keyed>;

const strip = ({ secretKey: _sk, ...m }: Keyed) => m;

export type TestNetwork = { epoch: EpochMembership; storage: Keyed[]; validators: Keyed[] };

export function testNetwork(n: number, shardId: string, validatorCount: number): TestNetwork {
  const storage = [0, 1, 2].map((i) => keyed(`storage-${i}`));
  const validators = Array.from({ length: validatorCount }, (_, i) => keyed(`${shardId}-v${i}`));
  return {
    storage,
    validators,
    epoch: {
      epoch: n,
      replication: 2,
      columnMargin: 0,
      storageShards: storage.map((s, i) => ({ ...strip(s), endpoint: `127.0.0.1:${17600 + i}` })),
      consensusShards: [{ id: shardId, validators: validators.map(strip) }],
    },
  };
}

export function testHeader(epoch: number, size = 1000): BlobHeader {
  const params = chooseSquareParams(size, getPreset("devnet"));
  return {
    version: 1,
    preset: "devnet",
    namespace: Uint8Array.from([0x01, ...randomBytes(15)]),
    account: new Uint8Array(20),
    nonce: 1n,
    timestampMs: Date.now(),
    size,
    k: params.k,
    cellSize: params.cellSize,
    dataRoot: randomBytes(32),
    retentionSeconds: 3600,
    epoch,
  };
}

/** A certificate over `headers` signed by the storage shards `signers` (indices). */
export function certify(
  net: TestNetwork,
  headers: readonly BlobHeader[],
  signers: readonly number[] = [0, 1, 2],
): { certificate: Certificate; keys: Uint8Array[]; proofs: MerkleProof[] } {
  const keys = headers.map(blobKey);
  const header: BatchHeader = {
    epoch: net.epoch.epoch,
    batchRoot: batchRoot(keys),
    blobCount: keys.length,
    createdAtMs: Date.now(),
    attesterId: "attester-test",
  };
  const message = batchSigningMessage(header);
  const sigs = new Map(signers.map((i) => [i, sign(net.storage[i]!.secretKey, message)] as const));
  return {
    certificate: buildCertificate(header, net.epoch, sigs),
    keys,
    proofs: keys.map((_, i) => batchInclusionProof(keys, i)),
  };
}
