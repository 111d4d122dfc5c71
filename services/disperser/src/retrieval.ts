/**
 * RetrieveBlob without gRPC server concerns (docs/pipeline.md "Retrieval"): read the header,
 * fetch columns over StorageShard.GetColumn from their holders in the header's epoch (several
 * in flight), verify each (column root recomputed from its 2k cells, then its root proof
 * against the header's dataRoot), discard bad answers and try another holder or column, stop
 * at k good columns, rebuild with `decodeBlob` (which re-checks the whole square against the
 * data root) and return the blob.
 */

import type { ClientPool, ServiceClient } from "@tributary/proto";
import type { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import {
  type BlobHeader,
  cellOffset,
  decodeBlob,
  decodeBlobHeader,
  type EpochMembership,
  lineRootOfBuffer,
  ProtocolError,
  squareParamsOf,
  verifyLineRoot,
} from "@tributary/protocol";
import type { BlobStatusStore, Logger } from "@tributary/runtime";
import { type ColumnFetch, orderHolders, planColumnFetches } from "./columnPlan.ts";
import { DisperserErrorCode, disperserError } from "./errors.ts";
import { fromHex, hex } from "./hex.ts";
import type { DisperserMetrics } from "./metrics.ts";

/** The membership the disperser reads: runtime's MembershipView, or fixed epochs in tests. */
export interface MembershipSource {
  readonly current: EpochMembership;
  epoch(n: number): Promise<EpochMembership>;
}

export type RetrievalOptions = { parallelism: number; columnTimeoutMs: number };

export type RetrievalModules = {
  logger: Logger;
  metrics: DisperserMetrics;
  store: BlobStatusStore;
  membership: MembershipSource;
  storage: ClientPool<typeof StorageShard>;
};

export interface RetrievedBlob {
  readonly header: BlobHeader;
  readonly data: Uint8Array;
}

/** Why a holder's answer was not used: it failed to answer, or answered with bad data. */
class ColumnRejected extends Error {
  readonly corrupt: boolean;
  constructor(message: string, corrupt: boolean) {
    super(message);
    this.corrupt = corrupt;
  }
}

export class Retrieval {
  private readonly opts: RetrievalOptions;
  private readonly modules: RetrievalModules;
  private readonly logger: Logger;

  constructor(opts: RetrievalOptions, modules: RetrievalModules) {
    this.opts = opts;
    this.modules = modules;
    this.logger = modules.logger.child("retrieval");
  }

  /** The blob's header, or the error a client should see for its key. */
  async headerOf(blobKey: Uint8Array): Promise<BlobHeader> {
    const record = await this.modules.store.get(blobKey);
    if (record === undefined) {
      throw disperserError(DisperserErrorCode.blobNotFound, "not_found", "unknown blob key", {
        blobKey: hex(blobKey),
      });
    }
    if (record.status === "FAILED" || record.status === "EXPIRED") {
      throw disperserError(
        DisperserErrorCode.blobTerminal,
        "failed_precondition",
        `blob is ${record.status}; its data is not served`,
        { status: record.status },
      );
    }
    const headerHex = record.fields.header;
    if (headerHex === undefined) {
      throw disperserError(DisperserErrorCode.notEnoughColumns, "unavailable", "blob is not stored yet");
    }
    return decodeBlobHeader(fromHex(headerHex));
  }

  async retrieve(blobKey: Uint8Array, signal?: AbortSignal): Promise<RetrievedBlob> {
    const header = await this.headerOf(blobKey);
    const timer = this.modules.metrics.retrievalDuration.startTimer();
    const epoch = await this.modules.membership.epoch(header.epoch);
    const params = squareParamsOf(header);
    const { k, cellSize } = params;
    const w = 2 * k;
    const square = { params, data: new Uint8Array(w * w * cellSize) };
    const present = new Uint8Array(w * w);
    const plan = planColumnFetches(epoch, blobKey, k);

    const done = new AbortController();
    const stop = signal === undefined ? done.signal : AbortSignal.any([signal, done.signal]);
    const failedShards = new Set<number>();
    let next = 0;
    let good = 0;

    const worker = async (): Promise<void> => {
      while (good < k && next < plan.length && !stop.aborted) {
        const fetch = plan[next++]!;
        const cells = await this.fetchColumn(fetch, epoch, blobKey, header, failedShards, stop);
        if (cells === undefined || good >= k) continue;
        for (let row = 0; row < w; row++) {
          square.data.set(cells[row]!, cellOffset(params, row, fetch.column));
          present[row * w + fetch.column] = 1;
        }
        if (++good >= k) done.abort();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.parallelism, w) }, worker));
    signal?.throwIfAborted();
    if (good < k) {
      throw disperserError(
        DisperserErrorCode.notEnoughColumns,
        "unavailable",
        `only ${good} of the ${k} columns needed could be fetched and verified`,
        { good, k, failedShards: [...failedShards].map((i) => epoch.storageShards[i]!.id) },
      );
    }
    let data: Uint8Array;
    try {
      data = decodeBlob(square, present, header.size, header.dataRoot);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      throw disperserError(
        DisperserErrorCode.rebuildFailed,
        "data_loss",
        `verified columns do not rebuild the blob: ${err.message}`,
        { protocolCode: err.code },
        err,
      );
    }
    timer();
    this.modules.metrics.retrievedBytes.inc(data.length);
    return { header, data };
  }

  /** The column's 2k verified cells from the first holder that serves them, or undefined. */
  private async fetchColumn(
    fetch: ColumnFetch,
    epoch: EpochMembership,
    blobKey: Uint8Array,
    header: BlobHeader,
    failedShards: Set<number>,
    stop: AbortSignal,
  ): Promise<Uint8Array[] | undefined> {
    const { metrics, storage } = this.modules;
    for (const holder of orderHolders(fetch.holders, failedShards)) {
      if (stop.aborted) return undefined;
      const shard = epoch.storageShards[holder]!;
      try {
        return await readColumn(storage.get(shard.endpoint), blobKey, fetch.column, header, {
          signal: AbortSignal.any([stop, AbortSignal.timeout(this.opts.columnTimeoutMs)]),
        });
      } catch (err) {
        if (stop.aborted) return undefined;
        failedShards.add(holder);
        metrics.columnFetchFailures.inc({ shard: shard.id });
        const corrupt = err instanceof ColumnRejected && err.corrupt;
        if (corrupt) metrics.corruptedColumns.inc();
        this.logger.warn(corrupt ? "Discarded a corrupted column" : "Column fetch failed", {
          blobKey: hex(blobKey),
          column: fetch.column,
          shard: shard.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return undefined;
  }
}

/**
 * Reads one column over GetColumn and verifies it: a Start, then cell batches in ascending,
 * gap-free rows, 2k cells of cellSize bytes; the column root recomputed from the cells must be
 * proven in the header's data root by the root proof sent with it.
 */
export async function readColumn(
  client: ServiceClient<typeof StorageShard>,
  blobKey: Uint8Array,
  column: number,
  header: BlobHeader,
  options: { signal: AbortSignal },
): Promise<Uint8Array[]> {
  const params = squareParamsOf(header);
  const w = 2 * params.k;
  const cells: Uint8Array[] = [];
  let proof: { index: number; siblings: Uint8Array[] } | undefined;
  let announcedRoot: Uint8Array | undefined;
  const bad = (message: string) => new ColumnRejected(message, true);
  for await (const message of client.getColumn({ blobKey, column }, { signal: options.signal })) {
    if (message.part.case === "start") {
      if (proof !== undefined) throw bad("second start message");
      const p = message.part.value.rootProof;
      proof = { index: p?.leafIndex ?? -1, siblings: p?.siblings ?? [] };
      announcedRoot = message.part.value.columnRoot;
    } else if (message.part.case === "cells") {
      if (proof === undefined) throw bad("cells before the start message");
      if (message.part.value.firstRow !== cells.length) throw bad("cell batches out of order");
      for (const cell of message.part.value.cells) {
        if (cell.length !== params.cellSize)
          throw bad(`cell of ${cell.length} bytes, expected ${params.cellSize}`);
        cells.push(cell);
      }
      if (cells.length > w) throw bad(`more than ${w} cells`);
    }
  }
  if (proof === undefined) throw bad("no start message");
  if (cells.length !== w) throw bad(`column has ${cells.length} cells, expected ${w}`);
  const root = lineRootOfBuffer(Buffer.concat(cells), params.cellSize);
  if (announcedRoot !== undefined && announcedRoot.length > 0 && !Buffer.from(root).equals(announcedRoot)) {
    throw bad("cells do not hash to the announced column root");
  }
  if (!verifyLineRoot(root, "col", column, proof, params, header.dataRoot)) {
    throw bad("column root is not proven in the data root");
  }
  return cells;
}
