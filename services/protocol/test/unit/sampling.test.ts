import { randomInt } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/errors.ts";
import {
  DEFAULT_SAMPLING_CONFIDENCE,
  missProbability,
  pickSampleCoordinates,
  samplesNeeded,
} from "../../src/sampling.ts";

/** Deterministic RandomInt for tests (mulberry32). */
function seededRandomInt(seed: number): (max: number) => number {
  let a = seed >>> 0;
  return (max) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

const widths = [1, 2, 4, 8, 16, 32, 64, 128];

describe("samplesNeeded", () => {
  it("known values for large squares: 99% -> 16, 99.9% -> 24 (k = 128)", () => {
    expect(samplesNeeded(0.99, 128)).toBe(16);
    expect(samplesNeeded(0.999, 128)).toBe(24);
    expect(samplesNeeded(0.9999, 128)).toBe(32);
    expect(samplesNeeded(undefined, 128)).toBe(samplesNeeded(DEFAULT_SAMPLING_CONFIDENCE, 128));
    expect(DEFAULT_SAMPLING_CONFIDENCE).toBe(0.999);
  });

  it("small squares need fewer samples (the withheld fraction (k+1)^2/4k^2 is larger)", () => {
    expect(samplesNeeded(0.99, 1)).toBe(1); // 4 cells, all 4 must be withheld
    for (let i = 1; i < widths.length; i++) {
      expect(samplesNeeded(0.99, widths[i]!)).toBeGreaterThanOrEqual(samplesNeeded(0.99, widths[i - 1]!));
    }
  });

  it("is the least s meeting the bound (exact hypergeometric)", () => {
    for (const k of widths) {
      for (const c of [0.5, 0.9, 0.99, 0.999, 0.999999]) {
        const s = samplesNeeded(c, k);
        expect(missProbability(k, s)).toBeLessThanOrEqual(1 - c);
        if (s > 0) expect(missProbability(k, s - 1)).toBeGreaterThan(1 - c);
      }
    }
  });

  it("matches the product formula against a direct binomial-coefficient ratio", () => {
    // C(N-W, s) / C(N, s) for k = 4: N = 64, W = 25.
    const choose = (n: number, r: number) => {
      let v = 1n;
      for (let i = 0; i < r; i++) v = (v * BigInt(n - i)) / BigInt(i + 1);
      return v;
    };
    for (let s = 0; s <= 10; s++) {
      const exact = Number((choose(39, s) * 10n ** 15n) / choose(64, s)) / 1e15;
      expect(missProbability(4, s)).toBeCloseTo(exact, 12);
    }
  });

  it("is monotone in confidence", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...widths),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (k, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(samplesNeeded(lo, k)).toBeLessThanOrEqual(samplesNeeded(hi, k));
        },
      ),
    );
  });

  it("rejects bad parameters", () => {
    expect(() => samplesNeeded(1, 8)).toThrow(ProtocolError);
    expect(() => samplesNeeded(-0.1, 8)).toThrow(ProtocolError);
    expect(() => samplesNeeded(Number.NaN, 8)).toThrow(ProtocolError);
    expect(() => samplesNeeded(0.99, 3)).toThrow(ProtocolError);
    expect(() => samplesNeeded(0.99, 256)).toThrow(ProtocolError);
    expect(samplesNeeded(0, 8)).toBe(0);
  });
});

describe("pickSampleCoordinates", () => {
  it("returns s distinct in-range cells", () => {
    fc.assert(
      fc.property(fc.constantFrom(...widths), fc.nat(), fc.integer(), (k, rawS, seed) => {
        const n = 4 * k * k;
        const s = rawS % (Math.min(n, 64) + 1);
        const cells = pickSampleCoordinates(k, s, seededRandomInt(seed));
        expect(cells).toHaveLength(s);
        expect(new Set(cells.map((c) => c.row * 2 * k + c.column)).size).toBe(s);
        for (const c of cells) {
          expect(c.row).toBeGreaterThanOrEqual(0);
          expect(c.row).toBeLessThan(2 * k);
          expect(c.column).toBeGreaterThanOrEqual(0);
          expect(c.column).toBeLessThan(2 * k);
        }
      }),
    );
  });

  it("can take the whole square and works with node:crypto.randomInt", () => {
    expect(pickSampleCoordinates(2, 16, randomInt)).toHaveLength(16);
    expect(pickSampleCoordinates(128, 24, randomInt)).toHaveLength(24);
  });

  it("is uniform: every cell equally likely (chi-square, k = 2)", () => {
    const rng = seededRandomInt(7);
    const counts = new Array<number>(16).fill(0);
    const trials = 20_000;
    for (let t = 0; t < trials; t++)
      for (const c of pickSampleCoordinates(2, 3, rng)) counts[c.row * 4 + c.column]!++;
    const expected = (trials * 3) / 16;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(37.7); // 15 dof, p = 0.001
  });

  it("detects a minimally withheld square at about the predicted rate", () => {
    // k = 8: withhold the top-left (k+1) x (k+1) block, sample s for 99%.
    const k = 8;
    const s = samplesNeeded(0.99, k);
    const rng = seededRandomInt(11);
    let missed = 0;
    const trials = 20_000;
    for (let t = 0; t < trials; t++) {
      const hit = pickSampleCoordinates(k, s, rng).some((c) => c.row <= k && c.column <= k);
      if (!hit) missed++;
    }
    expect(missed / trials).toBeLessThanOrEqual(0.01 * 1.3);
    expect(missed / trials).toBeCloseTo(missProbability(k, s), 2);
  });

  it("rejects an rng that returns out-of-range values", () => {
    expect(() => pickSampleCoordinates(2, 3, () => 99)).toThrow(ProtocolError);
    expect(() => pickSampleCoordinates(2, 17, randomInt)).toThrow(ProtocolError);
  });
});
