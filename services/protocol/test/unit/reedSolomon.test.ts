import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gfMul } from "../../src/gf256.ts";
import { jsKernel } from "../../src/gfKernel.ts";
import { currentKernel, encodeMatrix, interpolationMatrix, rebuildLine } from "../../src/index.ts";
import { KERNELS, withKernel } from "../utils/kernels.ts";

const K_VALUES = [1, 2, 4, 8, 16, 32, 64, 128];

/** Evaluates the degree < k polynomial through (i, data[i]) at x, by plain Lagrange (slow, obvious). */
function lagrangeAt(data: number[], x: number): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    let num = 1;
    let den = 1;
    for (let j = 0; j < data.length; j++) {
      if (j === i) continue;
      num = gfMul(num, x ^ j);
      den = gfMul(den, i ^ j);
    }
    let inv = 1;
    for (let e = 0; e < 254; e++) inv = gfMul(inv, den); // den^254 = den^-1
    sum ^= gfMul(data[i]!, gfMul(num, inv));
  }
  return sum;
}

describe("Reed-Solomon code", () => {
  it("the encode matrix evaluates the data polynomial at the parity points", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8, 16),
        fc.infiniteStream(fc.integer({ min: 0, max: 255 })),
        (k, s) => {
          const data = [...s.take(k)];
          const m = encodeMatrix(k);
          for (let t = 0; t < k; t++) {
            let parity = 0;
            for (let i = 0; i < k; i++) parity ^= gfMul(m[t * k + i]!, data[i]!);
            expect(parity).toBe(lagrangeAt(data, k + t));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  for (const kernel of KERNELS) {
    it(`FFT extension equals the Lagrange matrix for every k (${kernel})`, () => {
      withKernel(kernel, () => {
        for (const k of K_VALUES) {
          const len = 192;
          const buf = new Uint8Array(2 * k * len);
          crypto.getRandomValues(buf.subarray(0, k * len));
          const inO = Int32Array.from({ length: k }, (_, i) => i * len);
          const outO = Int32Array.from({ length: k }, (_, i) => (k + i) * len);
          const viaMatrix = buf.slice();
          jsKernel.matMul(encodeMatrix(k), k, k, viaMatrix, inO, outO, len);
          currentKernel().fftExtend(buf, inO, outO, k, len);
          expect(Buffer.from(buf).equals(Buffer.from(viaMatrix)), `k=${k}`).toBe(true);
        }
      });
    });

    it(`rebuilds a line from any k of its 2k cells (${kernel})`, () => {
      withKernel(kernel, () => {
        fc.assert(
          fc.property(fc.constantFrom(...K_VALUES), fc.integer({ min: 0, max: 2 ** 31 }), (k, seed) => {
            const len = 64;
            const buf = new Uint8Array(2 * k * len);
            crypto.getRandomValues(buf.subarray(0, k * len));
            currentKernel().fftExtend(
              buf,
              Int32Array.from({ length: k }, (_, i) => i * len),
              Int32Array.from({ length: k }, (_, i) => (k + i) * len),
              k,
              len,
            );
            const positions = shuffle(
              Array.from({ length: 2 * k }, (_, i) => i),
              seed,
            ).slice(0, k);
            const known = new Map(positions.map((p) => [p, buf.subarray(p * len, (p + 1) * len)] as const));
            const line = rebuildLine(known, k, len);
            expect(Buffer.concat(line).equals(Buffer.from(buf))).toBe(true);
          }),
          { numRuns: kernel === "js" ? 20 : 60 },
        );
      });
    });
  }

  it("refuses to interpolate onto a known position", () => {
    expect(() => interpolationMatrix([0, 1], [1])).toThrow(/known position/);
  });

  it("needs k cells to rebuild a line", () => {
    expect(() => rebuildLine(new Map([[0, new Uint8Array(64)]]), 2, 64)).toThrow(/needs 2 cells/);
  });
});

function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  for (let i = items.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
