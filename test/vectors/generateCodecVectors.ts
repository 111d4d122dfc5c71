/**
 * Writes test/vectors/codec.json: known answers for blob -> square geometry, row/column roots
 * and dataRoot, and header -> blobKey. Blobs are SHA-256 counter-mode streams of a seed, so the
 * file stays small and anyone can regenerate the inputs.
 *
 *   node test/vectors/generateCodecVectors.ts        # print
 *   node test/vectors/generateCodecVectors.ts --write
 *
 * Regenerating must not change the file; a change means the codec's output changed, which
 * breaks every stored commitment and must be a deliberate, versioned decision.
 */
import { writeFileSync } from "node:fs";
import {
  type BlobHeader,
  blobKey,
  chooseSquareParams,
  encodeBlob,
  encodeBlobHeader,
  getPreset,
  sha256,
} from "../../services/protocol/src/index.ts";
import { seededBytes, toHex } from "../../services/protocol/test/utils/bytes.ts";

const BLOBS: { seed: string; size: number; preset: "devnet" | "mainnet" }[] = [
  { seed: "tributary-vector-1", size: 1, preset: "devnet" },
  { seed: "tributary-vector-2", size: 100, preset: "devnet" },
  { seed: "tributary-vector-3", size: 4096, preset: "devnet" },
  { seed: "tributary-vector-4", size: 65_537, preset: "devnet" },
  { seed: "tributary-vector-5", size: 1_048_576, preset: "mainnet" },
  { seed: "tributary-vector-6", size: 3_000_000, preset: "devnet" },
];

export function codecVectors() {
  const blobs = BLOBS.map(({ seed, size, preset }) => {
    const { commitment, square } = encodeBlob(seededBytes(seed, size), getPreset(preset));
    const small = square.params.k <= 8;
    return {
      seed,
      size,
      preset,
      k: square.params.k,
      cellSize: square.params.cellSize,
      dataRoot: toHex(commitment.dataRoot),
      // Full root lists for small squares; a digest of the concatenation for large ones.
      ...(small
        ? { rowRoots: commitment.rowRoots.map(toHex), colRoots: commitment.colRoots.map(toHex) }
        : {
            rowRootsSha256: toHex(sha256(Buffer.concat(commitment.rowRoots))),
            colRootsSha256: toHex(sha256(Buffer.concat(commitment.colRoots))),
          }),
    };
  });
  const params = chooseSquareParams(100, getPreset("devnet"));
  const header: BlobHeader = {
    version: 1,
    preset: "devnet",
    namespace: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    account: Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i),
    nonce: 7n,
    timestampMs: 1_764_000_000_000,
    size: 100,
    k: params.k,
    cellSize: params.cellSize,
    dataRoot: Buffer.from(blobs[1]!.dataRoot, "hex"),
    retentionSeconds: 604_800,
    epoch: 1,
  };
  return {
    description:
      "Known answers for the Tributary codec and blob header. Blob bytes: SHA-256(seed || decimal counter) blocks concatenated, truncated to size.",
    blobs,
    headers: [
      {
        header: {
          ...header,
          nonce: header.nonce.toString(),
          namespace: toHex(header.namespace),
          account: toHex(header.account),
          dataRoot: toHex(header.dataRoot),
        },
        canonicalBytes: toHex(encodeBlobHeader(header)),
        blobKey: toHex(blobKey(header)),
      },
    ],
  };
}

if (import.meta.main) {
  const text = `${JSON.stringify(codecVectors(), null, 2)}\n`;
  if (process.argv.includes("--write")) {
    writeFileSync(new URL("./codec.json", import.meta.url), text);
  } else {
    process.stdout.write(text);
  }
}
