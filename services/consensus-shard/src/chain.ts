/**
 * The chain rules of one consensus shard (pure): how a block extends the head and how a
 * validator checks that a block it receives does.
 */
import {
  type BlockContent,
  type BlockEntryContent,
  blockHash,
  bytesEqual,
  ZERO_HASH,
} from "@tributary/protocol";
import type { DomainBlock } from "./protoCodec.ts";

/** The last block of the chain; height 0 with the zero hash before the first block. */
export type ChainHead = { readonly height: number; readonly hash: Uint8Array };

export const GENESIS_HEAD: ChainHead = { height: 0, hash: ZERO_HASH };

export function headOf(block: DomainBlock): ChainHead {
  return { height: block.height, hash: block.hash };
}

/** The block at head.height + 1 over `entries`, hash included. */
export function buildBlock(
  head: ChainHead,
  fields: {
    readonly shardId: string;
    readonly epoch: number;
    readonly timeMs: number;
    readonly proposer: string;
    readonly entries: readonly BlockEntryContent[];
  },
): DomainBlock {
  const content: BlockContent = { ...fields, height: head.height + 1, prevHash: head.hash };
  return { ...content, hash: blockHash(content) };
}

export type LinkCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks that `block` is the next block after `head` on shard `shardId`, with a correct hash. */
export function checkBlockLink(head: ChainHead, block: DomainBlock, shardId: string): LinkCheck {
  if (block.shardId !== shardId) return { ok: false, reason: `block of shard ${block.shardId}` };
  if (block.height !== head.height + 1) {
    return { ok: false, reason: `height ${block.height} does not follow ${head.height}` };
  }
  if (!bytesEqual(block.prevHash, head.hash))
    return { ok: false, reason: "prev hash is not the head's hash" };
  let hash: Uint8Array;
  try {
    hash = blockHash(block);
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : "unencodable block" };
  }
  if (!bytesEqual(hash, block.hash)) return { ok: false, reason: "hash does not match the block's content" };
  return { ok: true };
}

/** Every blob of a block with its index in the block (counting keys across entries). */
export function blockBlobs(block: BlockContent): { blobKey: Uint8Array; index: number; entry: number }[] {
  const out: { blobKey: Uint8Array; index: number; entry: number }[] = [];
  block.entries.forEach((e, entry) => {
    for (const blobKey of e.blobKeys) out.push({ blobKey, index: out.length, entry });
  });
  return out;
}

/** Namespace index score (docs/pipeline.md): height * 2^20 + index in block. */
export function namespaceScore(height: number, index: number): number {
  return height * 2 ** 20 + index;
}
