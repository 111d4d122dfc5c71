/**
 * Sampling one blob (data availability sampling, Al-Bassam et al. 2018, section 5.4; maths in
 * services/protocol sampling.ts): draw s = samplesNeeded(confidence, k) distinct cells of the
 * 2k x 2k extended square with a CSPRNG, fetch each from a storage shard that holds its column
 * (the epoch's assignment, best holder first; the next holder on any error or bad proof), and
 * check each against the header's data root. The report passes iff every sampled cell verified
 * from at least one holder.
 *
 * Requests are grouped per storage shard, one SampleCells stream per shard per round. I/O goes
 * through the injected CellFetcher, so this runs in unit tests without sockets.
 */
import { randomInt } from "node:crypto";
import {
  type BlobHeader,
  type CellCoordinate,
  type CellProof,
  ColumnAssignment,
  type EpochMembership,
  missProbability,
  pickSampleCoordinates,
  samplesNeeded,
  verifyCellProof,
} from "@tributary/protocol";

export const SamplerErrorCode = {
  /** No holder answered with the cell (down, timeout, or it does not hold it). */
  unavailable: "SAMPLER_ERROR_UNAVAILABLE",
  /** A holder answered with a cell whose proof does not verify against the data root. */
  proofInvalid: "SAMPLER_ERROR_PROOF_INVALID",
} as const;

export type CellAnswer =
  | { readonly ok: true; readonly cell: Uint8Array; readonly proof: CellProof }
  | { readonly ok: false; readonly code: string };

export interface CellFetcher {
  /** One answer per requested cell, in request order. Rejects only if nothing could be asked. */
  fetchCells(
    endpoint: string,
    blobKey: Uint8Array,
    cells: readonly CellCoordinate[],
    opts: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
  ): Promise<CellAnswer[]>;
}

export type SampleOptions = {
  readonly confidence: number;
  readonly timeoutMs: number;
  /** Uniform integer in [0, max); node:crypto.randomInt by default. */
  readonly randomInt?: (max: number) => number;
  readonly signal?: AbortSignal | undefined;
};

export type SampleOutcome = {
  readonly samples: number;
  readonly failedCells: { row: number; column: number; code: string }[];
  readonly passed: boolean;
  /** Confidence actually reached: 1 - missProbability(k, s) if passed, else 0. */
  readonly confidence: number;
  /** Answers discarded per storage shard id (bad proof or error), for metrics and logs. */
  readonly rejected: ReadonlyMap<string, number>;
};

export async function sampleBlob(
  header: BlobHeader,
  blobKey: Uint8Array,
  epoch: EpochMembership,
  fetcher: CellFetcher,
  opts: SampleOptions,
): Promise<SampleOutcome> {
  const k = header.k;
  const s = samplesNeeded(opts.confidence, k);
  const coords = pickSampleCoordinates(k, s, opts.randomInt ?? ((max) => randomInt(max)));
  const assignment = new ColumnAssignment(epoch, blobKey);
  const holders = coords.map((c) => assignment.shardsForColumn(c.column));
  const endpoints = new Map(epoch.storageShards.map((sh) => [sh.id, sh.endpoint]));
  const params = { k, cellSize: header.cellSize };
  const lastCode: (string | undefined)[] = coords.map(() => undefined);
  const sawBadProof = coords.map(() => false);
  const verified = coords.map(() => false);
  const rejected = new Map<string, number>();
  const reject = (shardId: string) => rejected.set(shardId, (rejected.get(shardId) ?? 0) + 1);

  for (let round = 0; round < epoch.replication; round++) {
    const byShard = new Map<string, number[]>();
    coords.forEach((_, i) => {
      if (verified[i]) return;
      const shardId = holders[i]![round];
      if (shardId === undefined) return;
      const list = byShard.get(shardId) ?? [];
      list.push(i);
      byShard.set(shardId, list);
    });
    if (byShard.size === 0) break;
    await Promise.all(
      [...byShard].map(async ([shardId, indices]) => {
        const endpoint = endpoints.get(shardId)!;
        let answers: CellAnswer[];
        try {
          answers = await fetcher.fetchCells(
            endpoint,
            blobKey,
            indices.map((i) => coords[i]!),
            { timeoutMs: opts.timeoutMs, signal: opts.signal },
          );
        } catch {
          answers = indices.map(() => ({ ok: false, code: SamplerErrorCode.unavailable }));
        }
        indices.forEach((i, j) => {
          const answer = answers[j] ?? { ok: false as const, code: SamplerErrorCode.unavailable };
          const c = coords[i]!;
          if (
            answer.ok &&
            answer.proof.row === c.row &&
            answer.proof.col === c.column &&
            verifyCellProof(answer.cell, answer.proof, params, header.dataRoot)
          ) {
            verified[i] = true;
            return;
          }
          reject(shardId);
          if (answer.ok) sawBadProof[i] = true;
          lastCode[i] = answer.ok ? SamplerErrorCode.proofInvalid : answer.code;
        });
      }),
    );
  }
  const failedCells = coords.flatMap((c, i) =>
    verified[i]
      ? []
      : [
          {
            row: c.row,
            column: c.column,
            code: sawBadProof[i]
              ? SamplerErrorCode.proofInvalid
              : (lastCode[i] ?? SamplerErrorCode.unavailable),
          },
        ],
  );
  const passed = failedCells.length === 0;
  return { samples: s, failedCells, passed, confidence: passed ? 1 - missProbability(k, s) : 0, rejected };
}
