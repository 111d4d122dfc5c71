/**
 * Data-availability sampling maths for the 2D Reed-Solomon extended square (2k x 2k cells, every
 * row and column an RS codeword of which any k cells rebuild the rest).
 *
 * Source: M. Al-Bassam, A. Sonnino, V. Buterin, "Fraud and Data Availability Proofs: Maximising
 * Light Client Security and Scaling Blockchains with Dishonest Majorities", 2018
 * (arXiv:1809.09044), section 5.4 / Theorem 1 (2D RS): to make the extended square unrecoverable
 * an adversary must withhold at least (k+1)^2 of its (2k)^2 cells. A light client drawing s
 * distinct cells uniformly at random (without replacement) therefore misses every withheld cell
 * with probability at most the hypergeometric tail
 *
 *     P(miss) = C(N - W, s) / C(N, s) = prod_{i=0}^{s-1} (N - W - i) / (N - i),
 *     N = 4k^2, W = (k+1)^2,
 *
 * and detects unavailability with probability at least 1 - P(miss). As k grows W/N -> 1/4, so
 * ~16-17 samples give 99% and 24 give 99.9%.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { MAX_K } from "./reedSolomon.ts";

export const DEFAULT_SAMPLING_CONFIDENCE = 0.999;

export interface CellCoordinate {
  readonly row: number;
  readonly column: number;
}

/** Uniform integer in [0, maxExclusive). Use node:crypto.randomInt in production. */
export type RandomInt = (maxExclusive: number) => number;

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K || (k & (k - 1)) !== 0) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, `k must be a power of two in [1, ${MAX_K}]`, {
      k,
    });
  }
}

/**
 * Exact probability that s distinct uniform samples all miss a withheld set of the minimum
 * unrecoverable size (k+1)^2 in the (2k)^2 extended square.
 */
export function missProbability(k: number, s: number): number {
  checkK(k);
  const n = 4 * k * k;
  const w = (k + 1) * (k + 1);
  if (!Number.isInteger(s) || s < 0 || s > n) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "sample count must be an integer in [0, 4k^2]", {
      s,
    });
  }
  let p = 1;
  for (let i = 0; i < s; i++) {
    const available = n - w - i;
    if (available <= 0) return 0;
    p *= available / (n - i);
  }
  return p;
}

/**
 * Least s such that s distinct uniform samples detect an unrecoverable square with probability
 * >= confidence, i.e. missProbability(k, s) <= 1 - confidence. Confidence in [0, 1).
 */
export function samplesNeeded(confidence: number = DEFAULT_SAMPLING_CONFIDENCE, k: number = MAX_K): number {
  checkK(k);
  if (typeof confidence !== "number" || !(confidence >= 0 && confidence < 1)) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "confidence must be in [0, 1)", { confidence });
  }
  const target = 1 - confidence;
  const n = 4 * k * k;
  const w = (k + 1) * (k + 1);
  let p = 1;
  let s = 0;
  while (p > target) {
    const available = n - w - s;
    if (available <= 0) return s + 1; // any further sample must hit a withheld cell
    p *= available / (n - s);
    s++;
  }
  return s;
}

/**
 * s distinct cells of the 2k x 2k extended square, uniformly at random (Floyd's algorithm, one
 * `rng` call per sample). Cell index c maps to {row: floor(c / 2k), column: c mod 2k}.
 */
export function pickSampleCoordinates(k: number, s: number, rng: RandomInt): CellCoordinate[] {
  checkK(k);
  const width = 2 * k;
  const n = width * width;
  if (!Number.isInteger(s) || s < 0 || s > n) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "sample count must be an integer in [0, 4k^2]", {
      s,
    });
  }
  const chosen = new Set<number>();
  const order: number[] = [];
  for (let j = n - s; j < n; j++) {
    const t = rng(j + 1);
    if (!Number.isInteger(t) || t < 0 || t > j) {
      throw new ProtocolError(ProtocolErrorCode.invalidParams, "rng returned a value out of range", {
        value: t,
      });
    }
    const pick = chosen.has(t) ? j : t;
    chosen.add(pick);
    order.push(pick);
  }
  return order.map((c) => ({ row: Math.floor(c / width), column: c % width }));
}
