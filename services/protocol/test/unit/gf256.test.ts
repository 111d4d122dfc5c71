import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FFT_SKEW, gfInv, gfMul, gfMulTable } from "../../src/gf256.ts";

const byte = fc.integer({ min: 0, max: 255 });
const nonZero = fc.integer({ min: 1, max: 255 });

describe("GF(2^8)", () => {
  it("is a field: commutative, associative, distributive over XOR, with inverses", () => {
    fc.assert(
      fc.property(byte, byte, byte, (a, b, c) => {
        expect(gfMul(a, b)).toBe(gfMul(b, a));
        expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)));
        expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c));
      }),
    );
    fc.assert(
      fc.property(nonZero, (a) => {
        expect(gfMul(a, gfInv(a))).toBe(1);
      }),
    );
  });

  it("uses the polynomial 0x11D with generator 2 (2^8 = 0x1D)", () => {
    expect(gfMul(0x80, 2)).toBe(0x1d);
    const seen = new Set<number>();
    let x = 1;
    for (let i = 0; i < 255; i++) {
      seen.add(x);
      x = gfMul(x, 2);
    }
    expect(seen.size).toBe(255);
  });

  it("product table agrees with multiplication", () => {
    const t = gfMulTable();
    fc.assert(
      fc.property(byte, byte, (a, b) => {
        expect(t[a * 256 + b]).toBe(gfMul(a, b));
      }),
    );
  });

  it("FFT skew factors vanish exactly on their subspace and are 1 at the next basis element", () => {
    for (let j = 0; j < 8; j++) {
      for (let x = 0; x < 256; x++) {
        expect(FFT_SKEW[j * 256 + x] === 0).toBe(x < 1 << j);
      }
      expect(FFT_SKEW[j * 256 + (1 << j)]).toBe(1);
    }
  });
});
