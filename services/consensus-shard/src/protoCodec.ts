/**
 * Proto <-> domain conversions at the consensus shard's edge (uint64 as bigint on the wire,
 * safe-integer numbers in the protocol library; `leafIndex` vs `index` in Merkle proofs).
 */
import { create } from "@bufbuild/protobuf";
import type { BlobHeader as ProtoBlobHeader } from "@tributary/proto/tributary/common/v1/blob";
import {
  BatchHeaderSchema,
  CertificateSchema,
  type BlobInclusion as ProtoBlobInclusion,
  type Certificate as ProtoCertificate,
} from "@tributary/proto/tributary/common/v1/certificate";
import { BlockSchema, type Block as ProtoBlock } from "@tributary/proto/tributary/consensus/v1/consensus";
import type { BlobHeader, BlockContent, Certificate, MerkleProof, NetworkPreset } from "@tributary/protocol";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function safeNumber(v: bigint, field: string): number {
  if (v < 0n || v > MAX_SAFE) throw new RangeError(`${field} out of range`);
  return Number(v);
}

export function blobHeaderFromProto(h: ProtoBlobHeader): BlobHeader {
  return {
    version: h.version,
    preset: h.preset as NetworkPreset["name"],
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: safeNumber(h.timestampMs, "timestampMs"),
    size: h.size,
    k: h.squareWidth,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: safeNumber(h.retentionSeconds, "retentionSeconds"),
    epoch: safeNumber(h.epoch, "epoch"),
  };
}

export function certificateFromProto(c: ProtoCertificate): Certificate {
  const h = c.batchHeader;
  if (h === undefined) throw new RangeError("certificate has no batch header");
  return {
    batchHeader: {
      epoch: safeNumber(h.epoch, "epoch"),
      batchRoot: h.batchRoot,
      blobCount: h.blobCount,
      createdAtMs: safeNumber(h.createdAtMs, "createdAtMs"),
      attesterId: h.attesterId,
    },
    signerBitmap: c.signerBitmap,
    aggregateSignature: c.aggregateSignature,
  };
}

export function certificateToProto(c: Certificate): ProtoCertificate {
  return create(CertificateSchema, {
    batchHeader: create(BatchHeaderSchema, {
      epoch: BigInt(c.batchHeader.epoch),
      batchRoot: c.batchHeader.batchRoot,
      blobCount: c.batchHeader.blobCount,
      createdAtMs: BigInt(c.batchHeader.createdAtMs),
      attesterId: c.batchHeader.attesterId,
    }),
    signerBitmap: c.signerBitmap,
    aggregateSignature: c.aggregateSignature,
  });
}

export type Inclusion = { readonly blobIndex: number; readonly proof: MerkleProof };

export function inclusionFromProto(i: ProtoBlobInclusion): Inclusion {
  return {
    blobIndex: i.blobIndex,
    proof: { index: i.proof?.leafIndex ?? -1, siblings: i.proof?.siblings ?? [] },
  };
}

/** A block as the domain sees it: its hashed content plus the hash carried on the wire. */
export type DomainBlock = BlockContent & { readonly hash: Uint8Array };

export function blockFromProto(b: ProtoBlock): DomainBlock {
  return {
    shardId: b.shardId,
    height: safeNumber(b.height, "height"),
    epoch: safeNumber(b.epoch, "epoch"),
    prevHash: b.prevHash,
    timeMs: safeNumber(b.timeMs, "timeMs"),
    proposer: b.proposer,
    entries: b.entries.map((e) => {
      if (e.certificate === undefined) throw new RangeError("block entry has no certificate");
      return { certificate: certificateFromProto(e.certificate), blobKeys: e.blobKeys };
    }),
    hash: b.hash,
  };
}

export function blockToProto(b: DomainBlock): ProtoBlock {
  return create(BlockSchema, {
    shardId: b.shardId,
    height: BigInt(b.height),
    epoch: BigInt(b.epoch),
    prevHash: b.prevHash,
    timeMs: BigInt(b.timeMs),
    proposer: b.proposer,
    entries: b.entries.map((e) => ({
      certificate: certificateToProto(e.certificate),
      blobKeys: [...e.blobKeys],
    })),
    hash: b.hash,
  });
}
