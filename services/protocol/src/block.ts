/**
 * Canonical block bytes, block hash and the block signing message of a consensus shard. The
 * layout is the contract, not the protobuf encoding (protobuf encodings are not unique), so every
 * validator hashes and signs exactly these bytes.
 *
 * Canonical bytes (all integers big-endian):
 *
 *   ASCII("TRIBUTARY/BLOCK/v1")                         18 bytes, domain
 *   u8  len(shardId)   || shardId (ASCII)
 *   u64 height
 *   u64 epoch
 *   prevHash                                            32 bytes (zeros at height 1)
 *   u64 timeMs
 *   u8  len(proposer)  || proposer (ASCII)
 *   u32 entryCount
 *   per entry:
 *     u16 len(h)   || h = encodeBatchHeader(certificate.batchHeader)  (protocol batch.ts)
 *     u16 len(bm)  || bm = certificate.signerBitmap
 *     u16 len(sig) || sig = certificate.aggregateSignature
 *     u32 keyCount || keyCount x 32-byte blob keys
 *
 *   blockHash            = SHA-256(canonical bytes)
 *   blockSigningMessage  = ASCII("TRIBUTARY/BLOCK-VOTE/v1") || blockHash
 *
 * The validator bitmap and aggregate signature are not covered (they are made over the hash).
 */
import { encodeBatchHeader } from "./batch.ts";
import type { Certificate } from "./certificate.ts";
import { HASH_BYTES, sha256 } from "./merkle.ts";

export const BLOCK_DOMAIN = "TRIBUTARY/BLOCK/v1";
export const BLOCK_VOTE_DOMAIN = "TRIBUTARY/BLOCK-VOTE/v1";
export const ZERO_HASH = new Uint8Array(HASH_BYTES);

export interface BlockEntryContent {
  readonly certificate: Certificate;
  readonly blobKeys: readonly Uint8Array[];
}

/** The hashed part of a block. */
export interface BlockContent {
  readonly shardId: string;
  readonly height: number;
  readonly epoch: number;
  readonly prevHash: Uint8Array;
  readonly timeMs: number;
  readonly proposer: string;
  readonly entries: readonly BlockEntryContent[];
}

const ID = /^[\x20-\x7e]{1,255}$/;

class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  bytes(b: Uint8Array): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }

  uint(value: number, size: 1 | 2 | 4 | 8): this {
    if (!Number.isSafeInteger(value) || value < 0 || (size < 8 && value >= 2 ** (8 * size))) {
      throw new RangeError(`value ${value} does not fit in ${size} bytes`);
    }
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    if (size === 1) v.setUint8(0, value);
    else if (size === 2) v.setUint16(0, value);
    else if (size === 4) v.setUint32(0, value);
    else v.setBigUint64(0, BigInt(value));
    return this.bytes(b);
  }

  ascii(s: string): this {
    if (!ID.test(s)) throw new RangeError("ids must be 1-255 printable ASCII characters");
    return this.uint(s.length, 1).bytes(Buffer.from(s, "ascii"));
  }

  sized(b: Uint8Array, size: 2 | 4): this {
    return this.uint(b.length, size).bytes(b);
  }

  done(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function encodeBlockContent(block: BlockContent): Uint8Array {
  if (block.prevHash.length !== HASH_BYTES) throw new RangeError("prevHash must be 32 bytes");
  const w = new Writer()
    .bytes(Buffer.from(BLOCK_DOMAIN, "ascii"))
    .ascii(block.shardId)
    .uint(block.height, 8)
    .uint(block.epoch, 8)
    .bytes(block.prevHash)
    .uint(block.timeMs, 8)
    .ascii(block.proposer)
    .uint(block.entries.length, 4);
  for (const entry of block.entries) {
    w.sized(encodeBatchHeader(entry.certificate.batchHeader), 2)
      .sized(entry.certificate.signerBitmap, 2)
      .sized(entry.certificate.aggregateSignature, 2)
      .uint(entry.blobKeys.length, 4);
    for (const key of entry.blobKeys) {
      if (key.length !== HASH_BYTES) throw new RangeError("blob keys must be 32 bytes");
      w.bytes(key);
    }
  }
  return w.done();
}

export function blockHash(block: BlockContent): Uint8Array {
  return sha256(encodeBlockContent(block));
}

/** What validators BLS-sign: ASCII("TRIBUTARY/BLOCK-VOTE/v1") || blockHash. */
export function blockSigningMessage(hash: Uint8Array): Uint8Array {
  if (hash.length !== HASH_BYTES) throw new RangeError("block hash must be 32 bytes");
  const domain = Buffer.from(BLOCK_VOTE_DOMAIN, "ascii");
  const out = new Uint8Array(domain.length + HASH_BYTES);
  out.set(domain);
  out.set(hash, domain.length);
  return out;
}
