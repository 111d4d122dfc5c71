/**
 * SHA-256 floor of the commitment: the commitment hashes every cell of the extended square (4x the
 * blob bytes when the blob fills the square; 8x for sizes like 128 KiB whose k x k quadrant is
 * half padding), plus the much smaller inner nodes. These rows hash exactly the extended square's
 * byte count with node:crypto three ways and report throughput per byte of *blob* data, so they
 * compare directly with the encode rows:
 *  - per-cell chunks: one crypto.hash() call per cell, as many calls as the square has leaves;
 *  - 64 KiB chunks: large enough that per-call overhead mostly vanishes;
 *  - one update: a single streaming hash over the whole buffer, the raw hashing speed.
 */
import { createHash, hash } from "node:crypto";
import type { SquareParams } from "@tributary/protocol";
import { randomBytes } from "../lib/rng.ts";
import { type BenchOptions, type BenchResult, bench } from "../lib/stats.ts";
import { fmtBytes } from "../lib/table.ts";

export interface BaselineRow {
  readonly bench: string;
  readonly label: string;
  readonly kernel: string;
  readonly blobBytes: number;
  readonly note?: string;
  readonly result: BenchResult;
}

export function shaBaselines(
  blobBytes: number,
  params: SquareParams,
  budget: Omit<BenchOptions, "run" | "bytesPerOp">,
): BaselineRow[] {
  const data = randomBytes(4 * params.k * params.k * params.cellSize);
  const chunked = (chunk: number) => () => {
    for (let off = 0; off < data.length; off += chunk)
      hash("sha256", data.subarray(off, off + chunk), "buffer");
  };
  const note = `each op hashes ${fmtBytes(data.length)} = the extended square (${data.length / blobBytes}x the blob)`;
  const rows = [
    {
      bench: "sha256-cell-chunks",
      label: `sha256 of square bytes, ${fmtBytes(params.cellSize)} chunks (per cell)`,
      run: chunked(params.cellSize),
    },
    { bench: "sha256-64k-chunks", label: "sha256 of square bytes, 64 KiB chunks", run: chunked(64 * 1024) },
    {
      bench: "sha256-one-update",
      label: "sha256 of square bytes, one update",
      run: () => createHash("sha256").update(data).digest(),
    },
  ];
  return rows.map(({ bench: id, label, run }, i) => ({
    bench: id,
    label,
    kernel: "node:crypto",
    blobBytes,
    ...(i === 0 ? { note } : {}),
    result: bench({ ...budget, bytesPerOp: blobBytes, run }),
  }));
}
