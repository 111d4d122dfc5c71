/**
 * The gRPC side of `CellFetcher`: StorageShard.SampleCells, one bidi stream per call, one
 * request per cell (request_id = position), over one cached channel per storage shard endpoint.
 * Translates proto -> domain only; verification lives in cellSampler.ts.
 */

import { ClientPool } from "@tributary/proto";
import { StorageShard } from "@tributary/proto/tributary/storage/v1/storage";
import type { CellCoordinate } from "@tributary/protocol";
import { grpcClientOptions } from "@tributary/runtime";
import { type CellAnswer, type CellFetcher, SamplerErrorCode } from "./cellSampler.ts";

export class GrpcCellFetcher implements CellFetcher {
  private readonly clients = new ClientPool(StorageShard, { channelOptions: grpcClientOptions() });

  async fetchCells(
    endpoint: string,
    blobKey: Uint8Array,
    cells: readonly CellCoordinate[],
    opts: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
  ): Promise<CellAnswer[]> {
    const answers: CellAnswer[] = cells.map(() => ({ ok: false, code: SamplerErrorCode.unavailable }));
    const requests = cells.map((c, i) => ({ requestId: BigInt(i), blobKey, row: c.row, column: c.column }));
    try {
      let received = 0;
      for await (const response of this.clients.get(endpoint).sampleCells(requests, {
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
      })) {
        const i = Number(response.requestId);
        if (!(i >= 0 && i < cells.length)) continue;
        const r = response.result;
        if (r.case === "cell") {
          const p = r.value;
          answers[i] = {
            ok: true,
            cell: p.cell,
            proof: {
              row: p.row,
              col: p.column,
              columnProof: { index: p.columnProof?.leafIndex ?? -1, siblings: p.columnProof?.siblings ?? [] },
              columnRoot: p.columnRoot,
              rootProof: { index: p.rootProof?.leafIndex ?? -1, siblings: p.rootProof?.siblings ?? [] },
            },
          };
        } else if (r.case === "error") {
          answers[i] = { ok: false, code: r.value.code || SamplerErrorCode.unavailable };
        }
        if (++received >= cells.length) break;
      }
    } catch {
      // Whatever did not arrive stays UNAVAILABLE: the next holder is asked.
    }
    return answers;
  }

  close(): void {
    this.clients.close();
  }
}
