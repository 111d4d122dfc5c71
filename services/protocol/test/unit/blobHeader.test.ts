import { describe, expect, it } from "vitest";
import {
  type BlobHeader,
  blobKey,
  decodeBlobHeader,
  encodeBlobHeader,
  expiresAtMs,
  HEADER_BYTES,
  validateNamespace,
  validateRetention,
} from "../../src/index.ts";

export const SAMPLE_HEADER: BlobHeader = {
  version: 1,
  preset: "devnet",
  namespace: new Uint8Array(16).fill(7),
  account: new Uint8Array(20).fill(0xab),
  nonce: 42n,
  timestampMs: 1_764_000_000_000,
  size: 1000,
  k: 4,
  cellSize: 64,
  dataRoot: new Uint8Array(32).fill(0x11),
  retentionSeconds: 86_400,
  epoch: 3,
};

describe("blob header", () => {
  it("round-trips through canonical bytes", () => {
    const bytes = encodeBlobHeader(SAMPLE_HEADER);
    expect(bytes).toHaveLength(HEADER_BYTES);
    expect(decodeBlobHeader(bytes)).toEqual(SAMPLE_HEADER);
  });

  it("every field changes the blob key", () => {
    const base = Buffer.from(blobKey(SAMPLE_HEADER)).toString("hex");
    const variants: BlobHeader[] = [
      { ...SAMPLE_HEADER, namespace: new Uint8Array(16).fill(8) },
      { ...SAMPLE_HEADER, account: new Uint8Array(20).fill(1) },
      { ...SAMPLE_HEADER, nonce: 43n },
      { ...SAMPLE_HEADER, timestampMs: SAMPLE_HEADER.timestampMs + 1 },
      { ...SAMPLE_HEADER, size: 999 },
      { ...SAMPLE_HEADER, dataRoot: new Uint8Array(32).fill(0x12) },
      { ...SAMPLE_HEADER, retentionSeconds: 86_401 },
      { ...SAMPLE_HEADER, epoch: 4 },
      { ...SAMPLE_HEADER, preset: "mainnet", cellSize: 1024, k: 1 },
    ];
    const keys = new Set(variants.map((h) => Buffer.from(blobKey(h)).toString("hex")));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(base)).toBe(false);
  });

  it("rejects geometry that does not follow from size and preset", () => {
    expect(() => encodeBlobHeader({ ...SAMPLE_HEADER, k: 8 })).toThrow(/square geometry/);
    expect(() => encodeBlobHeader({ ...SAMPLE_HEADER, size: 0 })).toThrow(/at least one byte/);
  });

  it("rejects malformed bytes", () => {
    const bytes = encodeBlobHeader(SAMPLE_HEADER);
    expect(() => decodeBlobHeader(bytes.subarray(1))).toThrow(/not a canonical blob header/);
    const badMagic = bytes.slice();
    badMagic[0] = 0;
    expect(() => decodeBlobHeader(badMagic)).toThrow(/not a canonical blob header/);
    const badPreset = bytes.slice();
    badPreset[5] = 9;
    expect(() => decodeBlobHeader(badPreset)).toThrow(/unknown network preset/);
  });

  it("namespace rules: 16 bytes, reserved first bytes 0x00 and 0xff", () => {
    expect(() => validateNamespace(new Uint8Array(15).fill(1))).toThrow(/16 bytes, got 15/);
    expect(() => validateNamespace(new Uint8Array(0))).toThrow(/16 bytes, got 0/);
    expect(() => validateNamespace(new Uint8Array(16))).toThrow(/reserved/);
    expect(() => validateNamespace(new Uint8Array(16).fill(0xff))).toThrow(/reserved/);
    expect(() => validateNamespace(new Uint8Array(16).fill(1))).not.toThrow();
  });

  it("retention rules", () => {
    const limits = { minSeconds: 3600, maxSeconds: 30 * 86_400, allowPermanent: false };
    expect(() => validateRetention(0, limits)).toThrow(/permanent retention is not allowed/);
    expect(() => validateRetention(0, { ...limits, allowPermanent: true })).not.toThrow();
    expect(() => validateRetention(60, limits)).toThrow(/between 3600 and 2592000/);
    expect(() => validateRetention(31 * 86_400, limits)).toThrow(/between/);
    expect(() => validateRetention(-1, limits)).toThrow(/non-negative/);
    expect(() => validateRetention(86_400, limits)).not.toThrow();
    expect(expiresAtMs(SAMPLE_HEADER)).toBe(SAMPLE_HEADER.timestampMs + 86_400_000);
    expect(expiresAtMs({ ...SAMPLE_HEADER, retentionSeconds: 0 })).toBeUndefined();
  });
});
