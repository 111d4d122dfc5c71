/**
 * What Ethereum PeerDAS pays per blob: EIP-7594 computeCellsAndKzgProofs (128 cells + 128 KZG
 * proofs) for one 131072-byte blob, via the prebuilt rust-eth-kzg binding. The trusted-setup
 * context is built once, untimed, with precomputation on (the fastest proving mode).
 */
import { DasContextJs } from "@crate-crypto/node-eth-kzg";
import { randomBytes } from "../lib/rng.ts";
import { type BenchOptions, bench } from "../lib/stats.ts";
import { fmt } from "../lib/table.ts";
import type { BaselineRow } from "./sha.ts";

const BLOB_BYTES = 131072;

export function kzgBaseline(budget: Omit<BenchOptions, "run" | "bytesPerOp">): BaselineRow {
  const t0 = performance.now();
  const ctx = DasContextJs.create({ usePrecomp: true });
  const setupMs = performance.now() - t0;
  // Each 32-byte field element must be canonical (< BLS12-381 r): a zero top byte guarantees it.
  const blob = randomBytes(BLOB_BYTES);
  for (let i = 0; i < BLOB_BYTES; i += 32) blob[i] = 0;
  const check = ctx.computeCellsAndKzgProofs(blob);
  if (check.cells.length !== 128 || check.proofs.length !== 128) throw new Error("unexpected KZG output");
  return {
    bench: "kzg-eip7594-cells-proofs",
    label: "kzg EIP-7594 computeCellsAndKzgProofs, 128 KiB",
    kernel: "rust-eth-kzg",
    blobBytes: BLOB_BYTES,
    note: `context setup ${fmt(setupMs / 1e3)} s (usePrecomp), untimed; 128 cells + 128 proofs per blob`,
    result: bench({
      ...budget,
      minIters: Math.max(budget.minIters, 3),
      bytesPerOp: BLOB_BYTES,
      run: () => ctx.computeCellsAndKzgProofs(blob),
    }),
  };
}
