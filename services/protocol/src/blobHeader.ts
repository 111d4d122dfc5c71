/**
 * The blob header, its canonical bytes and the blob key.
 *
 * Canonical bytes are a fixed-width big-endian layout (no protobuf: protobuf encodings are not
 * unique, and the key must be the same for every implementation):
 *
 *   offset size field
 *        0    4 magic "TRBH"
 *        4    1 version (1)
 *        5    1 preset id (presets.ts)
 *        6   16 namespace
 *       22   20 account (Ethereum address; all zero for unauthenticated devnet blobs)
 *       42    8 nonce
 *       50    8 timestampMs
 *       58    4 size (blob bytes, the length frame of the square)
 *       62    2 k
 *       64    4 cellSize
 *       68   32 dataRoot
 *      100    8 retentionSeconds (0 = permanent)
 *      108    8 epoch
 *      116      total
 *
 * blobKey = SHA-256(canonical bytes).
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { HASH_BYTES, sha256 } from "./merkle.ts";
import { getPreset, type NetworkPreset, presetById } from "./presets.ts";
import { chooseSquareParams, type SquareParams } from "./squareLayout.ts";

export const HEADER_VERSION = 1;
export const HEADER_BYTES = 116;
export const NAMESPACE_BYTES = 16;
export const ACCOUNT_BYTES = 20;
const MAGIC = [0x54, 0x52, 0x42, 0x48]; // "TRBH"
const MAX_U64 = (1n << 64n) - 1n;

export interface BlobHeader {
  readonly version: number;
  readonly preset: NetworkPreset["name"];
  readonly namespace: Uint8Array;
  readonly account: Uint8Array;
  readonly nonce: bigint;
  readonly timestampMs: number;
  readonly size: number;
  readonly k: number;
  readonly cellSize: number;
  readonly dataRoot: Uint8Array;
  /** Seconds the network keeps the blob after its timestamp; 0 means permanent. */
  readonly retentionSeconds: number;
  readonly epoch: number;
}

export function squareParamsOf(header: BlobHeader): SquareParams {
  return { k: header.k, cellSize: header.cellSize };
}

export function encodeBlobHeader(header: BlobHeader): Uint8Array {
  validateBlobHeader(header);
  const out = new Uint8Array(HEADER_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = header.version;
  out[5] = getPreset(header.preset).id;
  out.set(header.namespace, 6);
  out.set(header.account, 22);
  view.setBigUint64(42, header.nonce);
  view.setBigUint64(50, BigInt(header.timestampMs));
  view.setUint32(58, header.size);
  view.setUint16(62, header.k);
  view.setUint32(64, header.cellSize);
  out.set(header.dataRoot, 68);
  view.setBigUint64(100, BigInt(header.retentionSeconds));
  view.setBigUint64(108, BigInt(header.epoch));
  return out;
}

export function decodeBlobHeader(bytes: Uint8Array): BlobHeader {
  if (bytes.length !== HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ProtocolError(ProtocolErrorCode.invalidHeader, "not a canonical blob header", {
      length: bytes.length,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: BlobHeader = {
    version: bytes[4]!,
    preset: presetById(bytes[5]!).name,
    namespace: bytes.slice(6, 22),
    account: bytes.slice(22, 42),
    nonce: view.getBigUint64(42),
    timestampMs: safeNumber(view.getBigUint64(50), "timestampMs"),
    size: view.getUint32(58),
    k: view.getUint16(62),
    cellSize: view.getUint32(64),
    dataRoot: bytes.slice(68, 100),
    retentionSeconds: safeNumber(view.getBigUint64(100), "retentionSeconds"),
    epoch: safeNumber(view.getBigUint64(108), "epoch"),
  };
  validateBlobHeader(header);
  return header;
}

export function blobKey(header: BlobHeader): Uint8Array {
  return sha256(encodeBlobHeader(header));
}

function safeNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError(ProtocolErrorCode.invalidHeader, `${field} is out of range`, { field });
  }
  return Number(v);
}

function invalid(field: string, message: string, meta: Record<string, unknown> = {}): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.invalidHeader, `header ${field}: ${message}`, {
    field,
    ...meta,
  });
}

/** Checks every field, including that k and cellSize are the geometry the preset derives from size. */
export function validateBlobHeader(header: BlobHeader): void {
  if (header.version !== HEADER_VERSION) throw invalid("version", `unsupported version ${header.version}`);
  const preset = getPreset(header.preset);
  validateNamespace(header.namespace);
  if (header.account.length !== ACCOUNT_BYTES) throw invalid("account", `must be ${ACCOUNT_BYTES} bytes`);
  if (header.nonce < 0n || header.nonce > MAX_U64)
    throw invalid("nonce", "must be an unsigned 64-bit integer");
  for (const field of ["timestampMs", "retentionSeconds", "epoch"] as const) {
    const v = header[field];
    if (!Number.isSafeInteger(v) || v < 0) throw invalid(field, "must be a non-negative safe integer");
  }
  if (header.dataRoot.length !== HASH_BYTES) throw invalid("dataRoot", "must be 32 bytes");
  const expected = chooseSquareParams(header.size, preset);
  if (header.k !== expected.k || header.cellSize !== expected.cellSize) {
    throw invalid("k", "square geometry does not match size and preset", {
      k: header.k,
      cellSize: header.cellSize,
      expected,
    });
  }
}

/**
 * Namespace rules: exactly 16 bytes; the first byte is a version/class byte and 0x00 and 0xFF
 * are reserved for the protocol itself, so user namespaces start with 0x01..0xFE.
 */
export function validateNamespace(namespace: Uint8Array): void {
  if (namespace.length !== NAMESPACE_BYTES) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidNamespace,
      `namespace must be ${NAMESPACE_BYTES} bytes, got ${namespace.length}`,
      { length: namespace.length },
    );
  }
  if (namespace[0] === 0x00 || namespace[0] === 0xff) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidNamespace,
      "namespaces starting with 0x00 or 0xff are reserved",
      {
        first: namespace[0],
      },
    );
  }
}

export interface RetentionLimits {
  /** Shortest retention accepted, seconds. */
  readonly minSeconds: number;
  /** Longest finite retention accepted, seconds. */
  readonly maxSeconds: number;
  /** Whether retention 0 (permanent) is allowed for this account. */
  readonly allowPermanent: boolean;
}

export function validateRetention(retentionSeconds: number, limits: RetentionLimits): void {
  if (!Number.isSafeInteger(retentionSeconds) || retentionSeconds < 0) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidRetention,
      "retention must be a non-negative integer of seconds",
      {
        retentionSeconds,
      },
    );
  }
  if (retentionSeconds === 0) {
    if (!limits.allowPermanent) {
      throw new ProtocolError(
        ProtocolErrorCode.invalidRetention,
        "permanent retention is not allowed for this account",
        {
          retentionSeconds,
        },
      );
    }
    return;
  }
  if (retentionSeconds < limits.minSeconds || retentionSeconds > limits.maxSeconds) {
    throw new ProtocolError(
      ProtocolErrorCode.invalidRetention,
      `retention must be between ${limits.minSeconds} and ${limits.maxSeconds} seconds`,
      { retentionSeconds, ...limits },
    );
  }
}

/** Time (ms since epoch) at which the blob's retention ends, or undefined if permanent. */
export function expiresAtMs(header: BlobHeader): number | undefined {
  return header.retentionSeconds === 0 ? undefined : header.timestampMs + header.retentionSeconds * 1000;
}
