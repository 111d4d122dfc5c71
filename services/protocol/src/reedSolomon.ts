/**
 * Systematic Reed-Solomon code of length 2k over GF(2^8), k a power of two <= 128.
 *
 * A codeword is the evaluations of one polynomial of degree < k at the points x_0..x_{2k-1},
 * x_i = i (as field elements). The first k symbols are the data, the last k the parity, so
 * encoding and rebuilding are both Lagrange interpolation: every wanted symbol is a fixed
 * GF(2^8) combination of any k known ones. The coefficients come from the barycentric form
 * (Berrut and Trefethen, "Barycentric Lagrange Interpolation", SIAM Review 46(3), 2004):
 *   l(x) = prod_{j in S} (x - x_j),  w_i = 1 / prod_{j in S, j != i} (x_i - x_j),
 *   L_i(x_t) = l(x_t) * w_i / (x_t - x_i),
 * which costs O(k^2) per erasure pattern instead of a k x k matrix inversion. The heavy part,
 * applying the coefficients to whole cells, is `GfKernel.matMul`.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { GF_EXP, GF_LOG } from "./gf256.ts";

export const MAX_K = 128;

/**
 * Coefficients mapping the symbols at `known` (exactly k distinct positions in [0, 2k)) to
 * the symbols at `targets` (positions not in `known`): row t, column i is L_i(x_targets[t]).
 */
export function interpolationMatrix(known: readonly number[], targets: readonly number[]): Uint8Array {
  const n = known.length;
  // Logs of w_i: sum over j != i of log(x_i ^ x_j), negated (mod 255).
  const logW = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const xi = known[i]!;
    let s = 0;
    for (let j = 0; j < n; j++) {
      if (j !== i) s += GF_LOG[xi ^ known[j]!]!;
    }
    logW[i] = (255 - (s % 255)) % 255;
  }
  const out = new Uint8Array(targets.length * n);
  for (let t = 0; t < targets.length; t++) {
    const xt = targets[t]!;
    let logL = 0;
    for (let j = 0; j < n; j++) {
      const d = xt ^ known[j]!;
      if (d === 0) {
        throw new ProtocolError(ProtocolErrorCode.invalidParams, "target position is also a known position", {
          position: xt,
        });
      }
      logL += GF_LOG[d]!;
    }
    logL %= 255;
    for (let i = 0; i < n; i++) {
      // l(x_t) * w_i / (x_t - x_i), in the log domain.
      const e = (logL + logW[i]! + 255 - GF_LOG[xt ^ known[i]!]!) % 255;
      out[t * n + i] = GF_EXP[e]!;
    }
  }
  return out;
}

const encodeMatrices = new Map<number, Uint8Array>();

/** k x k matrix turning data symbols (positions 0..k-1) into parity (positions k..2k-1). */
export function encodeMatrix(k: number): Uint8Array {
  let m = encodeMatrices.get(k);
  if (m === undefined) {
    const known = Array.from({ length: k }, (_, i) => i);
    const targets = Array.from({ length: k }, (_, i) => k + i);
    m = interpolationMatrix(known, targets);
    encodeMatrices.set(k, m);
  }
  return m;
}

export function assertValidK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K || (k & (k - 1)) !== 0) {
    throw new ProtocolError(ProtocolErrorCode.invalidParams, "k must be a power of two between 1 and 128", {
      k,
    });
  }
}
