/**
 * Which columns RetrieveBlob fetches, and from whom (pure). Any k verified columns rebuild the
 * square (every row then has k of its 2k cells), so the plan lists every column once, the
 * systematic half (columns < k, which hold the blob's own bytes) first, each with its holders
 * in assignment order (the rendezvous order is already pseudo-random per column, which spreads
 * the reads). The fetcher walks the plan until k columns verified; holders that failed earlier
 * in the same retrieval are tried last.
 */
import { columnHolderIndices, type EpochMembership } from "@tributary/protocol";

export interface ColumnFetch {
  readonly column: number;
  /** Indices into epoch.storageShards, preferred first. */
  readonly holders: readonly number[];
}

export function planColumnFetches(epoch: EpochMembership, blobKey: Uint8Array, k: number): ColumnFetch[] {
  const w = 2 * k;
  const table = columnHolderIndices(epoch, blobKey, w);
  const r = epoch.replication;
  const plan: ColumnFetch[] = [];
  for (let column = 0; column < w; column++) {
    plan.push({ column, holders: Array.from(table.subarray(column * r, (column + 1) * r)) });
  }
  return plan;
}

/** `holders` with the ones in `failed` moved to the back (order otherwise kept). */
export function orderHolders(holders: readonly number[], failed: ReadonlySet<number>): number[] {
  return [...holders.filter((h) => !failed.has(h)), ...holders.filter((h) => failed.has(h))];
}
