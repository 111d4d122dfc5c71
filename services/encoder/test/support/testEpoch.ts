/**
 * Test helper: an epoch membership with real BLS keys (valid proofs of possession), so it passes
 * `validateEpoch` like one read from NATS KV.
 */
import { randomBytes } from "node:crypto";
import {
  type EpochMembership,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
} from "@tributary/protocol";

function member(id: string) {
  const sk = secretKeyFromSeed(randomBytes(32));
  return { id, blsPublicKey: publicKeyOf(sk), weight: 1, proofOfPossession: proveProofOfPossession(sk) };
}

export function testEpoch(opts: {
  epoch: number;
  shards: readonly { id: string; endpoint: string }[];
  replication: number;
  columnMargin?: number;
  consensusShards?: readonly string[];
}): EpochMembership {
  return {
    epoch: opts.epoch,
    replication: opts.replication,
    columnMargin: opts.columnMargin ?? 0,
    storageShards: opts.shards.map((s) => ({ ...member(s.id), endpoint: s.endpoint })),
    consensusShards: (opts.consensusShards ?? ["consensus-0"]).map((id) => ({
      id,
      validators: [member(`${id}-v0`)],
    })),
  };
}
