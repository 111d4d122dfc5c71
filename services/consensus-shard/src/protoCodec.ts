/**
 * Block <-> wire conversion at the consensus shard's edge. Headers, certificates and inclusions
 * convert through @tributary/proto's shared domain conversions; only blocks are this service's own.
 */
import { create } from "@bufbuild/protobuf";
import { certificateFromProto, certificateToProto, uint64ToNumber } from "@tributary/proto";
import { BlockSchema, type Block as ProtoBlock } from "@tributary/proto/tributary/consensus/v1/consensus";
import type { BlockContent } from "@tributary/protocol";

/** A block as the domain sees it: its hashed content plus the hash carried on the wire. */
export type DomainBlock = BlockContent & { readonly hash: Uint8Array };

export function blockFromProto(b: ProtoBlock): DomainBlock {
  return {
    shardId: b.shardId,
    height: uint64ToNumber(b.height, "height"),
    epoch: uint64ToNumber(b.epoch, "epoch"),
    prevHash: b.prevHash,
    timeMs: uint64ToNumber(b.timeMs, "timeMs"),
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
