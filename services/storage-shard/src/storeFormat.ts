/**
 * Byte formats of the column store (layouts in columnStore.ts's module doc): segment record
 * headers, CRC-framed index records, their decoding on replay, and the small I/O helpers the
 * store uses. No policy here: what is live, durable or dead is decided in columnStore.ts.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { crc32 } from "node:zlib";

export const MiB = 1024 * 1024;
export const DEFAULT_MAX_SEGMENT_BYTES = 256 * MiB;

export const SEGMENT_MAGIC = Buffer.from("TRSR", "ascii");
export const SEGMENT_VERSION = 2;
export const SEGMENT_RECORD_HEADER_BYTES = 80;
export const INDEX_MAGIC = Buffer.from("TRIX", "ascii");
export const INDEX_VERSION = 2;
export const INDEX_FILE_HEADER_BYTES = 8;
export const INDEX_FRAME_BYTES = 8;
/** Largest index payload we accept on replay: header + 255 siblings fits well under this. */
export const MAX_INDEX_PAYLOAD_BYTES = 64 * 1024;
export const RECORD_PUT = 1;
export const RECORD_TOMBSTONE = 2;
export const KEY_BYTES = 32;
export const HASH_BYTES = 32;
export const PUT_FIXED_BYTES = 1 + 32 + 4 + 4 + 8 + 4 + 8 + 8 + 32 + 32 + 4 + 2 + 1;
export const REPLAY_CHUNK_BYTES = 8 * MiB;
export const SEGMENT_DIR = "segments";
export const INDEX_FILE = "index.log";
export const SEGMENT_NAME = /^(\d{10})\.seg$/;

/** A Merkle path as the protocol library shapes it. */
export type StoredProof = { readonly index: number; readonly siblings: readonly Uint8Array[] };

/** Where a live column is and what proves it. */
export type ColumnEntry = {
  segment: number;
  offset: number;
  length: number;
  digest: Uint8Array;
  columnRoot: Uint8Array;
  rootProof: StoredProof;
  storedAtMs: number;
  corrupt: boolean;
};

export type PutRecord = {
  blobKey: Uint8Array;
  header: Uint8Array;
  expiresAtMs: number | undefined;
  column: number;
  entry: ColumnEntry;
};

// ---- Encoding ----------------------------------------------------------------------------------

export type ReplayRecord =
  | ({ type: typeof RECORD_PUT } & PutRecord)
  | { type: typeof RECORD_TOMBSTONE; blobKey: Uint8Array };

export function encodeSegmentRecordHeader(
  blobKey: Uint8Array,
  column: number,
  length: number,
  digest: Uint8Array,
): Buffer {
  const b = Buffer.alloc(SEGMENT_RECORD_HEADER_BYTES);
  SEGMENT_MAGIC.copy(b, 0);
  b[4] = SEGMENT_VERSION;
  b.writeUInt16BE(SEGMENT_RECORD_HEADER_BYTES, 6);
  b.set(blobKey, 8);
  b.writeUInt32BE(column, 40);
  b.writeUInt32BE(length, 44);
  b.set(digest, 48);
  return b;
}

export function indexFileHeader(): Buffer {
  const b = Buffer.alloc(INDEX_FILE_HEADER_BYTES);
  INDEX_MAGIC.copy(b, 0);
  b[4] = INDEX_VERSION;
  return b;
}

export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(INDEX_FRAME_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload, crc32(out.subarray(0, 4))), 4);
  payload.copy(out, INDEX_FRAME_BYTES);
  return out;
}

/** Whether a whole frame (length, CRC, payload) is intact. */
export function frameIntact(whole: Buffer): boolean {
  const payload = whole.subarray(INDEX_FRAME_BYTES);
  return crc32(payload, crc32(whole.subarray(0, 4))) === whole.readUInt32BE(4);
}

export function encodePutRecord(r: PutRecord): Buffer {
  const e = r.entry;
  const siblings = e.rootProof.siblings;
  if (siblings.length > 255) throw new Error("root proof has more than 255 siblings");
  const b = Buffer.alloc(PUT_FIXED_BYTES + r.header.length + siblings.length * HASH_BYTES);
  let o = 0;
  b[o++] = RECORD_PUT;
  b.set(r.blobKey, o);
  o += KEY_BYTES;
  b.writeUInt32BE(r.column, o);
  o += 4;
  b.writeUInt32BE(e.segment, o);
  o += 4;
  b.writeBigUInt64BE(BigInt(e.offset), o);
  o += 8;
  b.writeUInt32BE(e.length, o);
  o += 4;
  b.writeBigUInt64BE(BigInt(r.expiresAtMs ?? 0), o);
  o += 8;
  b.writeBigUInt64BE(BigInt(e.storedAtMs), o);
  o += 8;
  b.set(e.digest, o);
  o += HASH_BYTES;
  b.set(e.columnRoot, o);
  o += HASH_BYTES;
  b.writeUInt32BE(e.rootProof.index, o);
  o += 4;
  b.writeUInt16BE(r.header.length, o);
  o += 2;
  b.set(r.header, o);
  o += r.header.length;
  b[o++] = siblings.length;
  for (const s of siblings) {
    b.set(s, o);
    o += HASH_BYTES;
  }
  return frame(b);
}

export function encodeTombstone(blobKey: Uint8Array): Buffer {
  const b = Buffer.alloc(1 + KEY_BYTES);
  b[0] = RECORD_TOMBSTONE;
  b.set(blobKey, 1);
  return frame(b);
}

/** Parses a CRC-valid payload; undefined if its structure is wrong (treated like a torn record). */
export function decodeIndexPayload(p: Buffer): ReplayRecord | undefined {
  if (p[0] === RECORD_TOMBSTONE) {
    return p.length === 1 + KEY_BYTES ? { type: RECORD_TOMBSTONE, blobKey: copy(p.subarray(1)) } : undefined;
  }
  if (p[0] !== RECORD_PUT || p.length < PUT_FIXED_BYTES) return undefined;
  let o = 1;
  const blobKey = copy(p.subarray(o, o + KEY_BYTES));
  o += KEY_BYTES;
  const column = p.readUInt32BE(o);
  o += 4;
  const segment = p.readUInt32BE(o);
  o += 4;
  const offset = Number(p.readBigUInt64BE(o));
  o += 8;
  const length = p.readUInt32BE(o);
  o += 4;
  const expires = Number(p.readBigUInt64BE(o));
  o += 8;
  const storedAtMs = Number(p.readBigUInt64BE(o));
  o += 8;
  const digest = copy(p.subarray(o, o + HASH_BYTES));
  o += HASH_BYTES;
  const columnRoot = copy(p.subarray(o, o + HASH_BYTES));
  o += HASH_BYTES;
  const proofIndex = p.readUInt32BE(o);
  o += 4;
  const headerLength = p.readUInt16BE(o);
  o += 2;
  if (o + headerLength + 1 > p.length) return undefined;
  const header = copy(p.subarray(o, o + headerLength));
  o += headerLength;
  const count = p[o++]!;
  if (o + count * HASH_BYTES !== p.length) return undefined;
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < count; i++, o += HASH_BYTES) siblings.push(copy(p.subarray(o, o + HASH_BYTES)));
  return {
    type: RECORD_PUT,
    blobKey,
    header,
    expiresAtMs: expires === 0 ? undefined : expires,
    column,
    entry: {
      segment,
      offset,
      length,
      digest,
      columnRoot,
      rootProof: { index: proofIndex, siblings },
      storedAtMs,
      corrupt: false,
    },
  };
}

// ---- Helpers -----------------------------------------------------------------------------------

/** Reads a file front to back in large chunks, handing out views of the next `n` bytes. */
export class SequentialReader {
  readonly #fh: FileHandle;
  #buf: Buffer = Buffer.alloc(0);
  /** File position of #buf[0]. */
  #bufStart: number;
  #eof = false;
  position: number;

  constructor(fh: FileHandle, position: number) {
    this.#fh = fh;
    this.position = position;
    this.#bufStart = position;
  }

  /** The next `n` bytes without consuming them, or undefined if the file ends first. */
  async peek(n: number): Promise<Buffer | undefined> {
    while (this.#available() < n && !this.#eof) {
      const chunk = Buffer.allocUnsafe(Math.max(REPLAY_CHUNK_BYTES, n));
      const { bytesRead } = await this.#fh.read(chunk, 0, chunk.length, this.#bufStart + this.#buf.length);
      if (bytesRead === 0) this.#eof = true;
      this.#buf = Buffer.concat([
        this.#buf.subarray(this.position - this.#bufStart),
        chunk.subarray(0, bytesRead),
      ]);
      this.#bufStart = this.position;
    }
    if (this.#available() < n) return undefined;
    const at = this.position - this.#bufStart;
    return this.#buf.subarray(at, at + n);
  }

  advance(n: number): void {
    this.position += n;
  }

  #available(): number {
    return this.#buf.length - (this.position - this.#bufStart);
  }
}

export function segmentName(id: number): string {
  return `${String(id).padStart(10, "0")}.seg`;
}

export function keyOf(blobKey: Uint8Array): string {
  return Buffer.from(blobKey.buffer, blobKey.byteOffset, blobKey.byteLength).toString("hex");
}

export function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/**
 * pwritev of all `parts` at `position`, resuming after short writes. One system call for a whole
 * put (the record headers and every column) instead of two per column: at 128 columns a blob,
 * the thread-pool round trips of separate writes cost more than the copies into the page cache.
 */
export async function writeFully(
  fh: FileHandle,
  parts: readonly Uint8Array[],
  position: number,
): Promise<void> {
  let pending = parts.filter((p) => p.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, pos);
    if (bytesWritten <= 0) throw new Error("pwritev wrote nothing");
    pos += bytesWritten;
    pending = dropWritten(pending, bytesWritten);
  }
}

/** What is left of `parts` after the first `written` bytes went out. */
export function dropWritten(parts: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = written;
  for (const part of parts) {
    if (skip >= part.length) {
      skip -= part.length;
      continue;
    }
    rest.push(skip > 0 ? part.subarray(skip) : part);
    skip = 0;
  }
  return rest;
}
