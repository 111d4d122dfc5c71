/**
 * Property tests of the codec end to end: random blobs of every size class up to the maximum,
 * random erasure patterns right at and just past the 2D recovery bound, on every kernel.
 *
 * The 2D bound: a missing block of rows R x columns C blocks every one of its lines only when
 * |R| > k and |C| > k, since a row (or column) with k of its 2k cells is rebuilt. So R x C
 * with |R| = k+1, |C| = k (or k cells missing from every row) is rebuildable, and
 * |R| = |C| = k+1 is the smallest pattern that is not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chooseSquareParams,
  commitSquare,
  decodeBlob,
  type ExtendedSquare,
  encodeBlob,
  extractBlob,
  getCell,
  lineRoot,
  PRESETS,
  ProtocolError,
  rebuildLine,
  squareWidth,
} from "../../src/index.ts";
import { KERNELS, withKernel } from "../utils/kernels.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Size classes: each is a range of blob sizes that lands on a different square geometry. */
const SIZE_CLASSES: [number, number][] = [
  [1, 64],
  [65, 4 * KiB],
  [4 * KiB + 1, 64 * KiB],
  [64 * KiB + 1, 1 * MiB],
  [1 * MiB + 1, 4 * MiB],
  [4 * MiB + 1, 16 * MiB],
];

function randomBlob(size: number): Uint8Array {
  const blob = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536)
    crypto.getRandomValues(blob.subarray(at, Math.min(size, at + 65536)));
  return blob;
}

function pickDistinct(n: number, count: number, rnd: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

function erase(square: ExtendedSquare, cells: Iterable<number>): Uint8Array {
  const w = squareWidth(square.params);
  const present = new Uint8Array(w * w).fill(1);
  for (const cell of cells) {
    present[cell] = 0;
    // Fill with junk, not zeros: a rebuild must overwrite, not rely on a clean buffer.
    square.data.fill(0xa5, cell * square.params.cellSize, (cell + 1) * square.params.cellSize);
  }
  return present;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("codec properties", () => {
  for (const kernel of KERNELS) {
    // The portable JavaScript kernel is ~100x slower; it gets the small size classes.
    const classes = kernel === "js" ? SIZE_CLASSES.slice(0, 4) : SIZE_CLASSES;
    const preset = kernel === "js" ? PRESETS.mainnet : PRESETS.devnet;

    it(`every row and column of the extended square is a codeword (${kernel})`, () => {
      withKernel(kernel, () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 64 * KiB }), (size) => {
            const { square, commitment } = encodeBlob(randomBlob(size), preset);
            const { k, cellSize } = square.params;
            const w = squareWidth(square.params);
            const rnd = mulberry(size);
            // Rebuilding any line from a random k of its cells gives the line back, and its root
            // is the committed one.
            for (const axis of ["row", "col"] as const) {
              for (let i = 0; i < w; i++) {
                const line = Array.from({ length: w }, (_, j) =>
                  axis === "row" ? getCell(square, i, j) : getCell(square, j, i),
                );
                const known = new Map(pickDistinct(w, k, rnd).map((j) => [j, line[j]!] as const));
                expect(same(Buffer.concat(rebuildLine(known, k, cellSize)), Buffer.concat(line))).toBe(true);
                const committed = axis === "row" ? commitment.rowRoots[i]! : commitment.colRoots[i]!;
                expect(same(lineRoot(line), committed)).toBe(true);
              }
            }
          }),
          { numRuns: kernel === "js" ? 3 : 10 },
        );
      });
    });

    it(`rebuilds byte-exact at the bound and fails clearly past it (${kernel})`, () => {
      withKernel(kernel, () => {
        fc.assert(
          fc.property(
            fc.constantFrom(...classes),
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            fc.constantFrom("block", "half-of-every-row", "past-bound"),
            ([lo, hi], f, seed, pattern) => {
              const size = Math.round(lo + f * (hi - lo));
              const blob = randomBlob(size);
              const committed = encodeBlob(blob, preset);
              const { square } = committed;
              const { dataRoot } = committed.commitment;
              const { k } = square.params;
              const w = 2 * k;
              const rnd = mulberry(seed);
              let cells: number[] = [];
              if (pattern === "half-of-every-row") {
                for (let r = 0; r < w; r++) for (const c of pickDistinct(w, k, rnd)) cells.push(r * w + c);
              } else {
                const rows = pickDistinct(w, Math.min(w, k + 1), rnd);
                const cols = pickDistinct(w, pattern === "block" ? k : Math.min(w, k + 1), rnd);
                cells = rows.flatMap((r) => cols.map((c) => r * w + c));
              }
              const present = erase(square, cells);
              if (pattern === "past-bound") {
                let error: unknown;
                try {
                  decodeBlob(square, present, size, dataRoot);
                } catch (e) {
                  error = e;
                }
                expect(error).toBeInstanceOf(ProtocolError);
                expect((error as ProtocolError).code).toBe("PROTOCOL_ERROR_UNRECOVERABLE");
                expect((error as ProtocolError).message).toMatch(/cannot be rebuilt/);
              } else {
                expect(
                  Buffer.from(decodeBlob(square, present, size, dataRoot)).equals(Buffer.from(blob)),
                ).toBe(true);
              }
            },
          ),
          { numRuns: kernel === "js" ? 12 : 30 },
        );
      });
    });
  }

  it("handles the largest blob the preset allows (32 MiB) and rejects one byte more", () => {
    const max = PRESETS.devnet.maxBlobBytes;
    const blob = randomBlob(max);
    const committed = encodeBlob(blob, PRESETS.devnet);
    expect(committed.square.params).toEqual({ k: 128, cellSize: 2048 });
    const w = squareWidth(committed.square.params);
    const present = erase(
      committed.square,
      Array.from({ length: w }, (_, r) => r * w + (r % w)),
    );
    expect(
      Buffer.from(decodeBlob(committed.square, present, max, committed.commitment.dataRoot)).equals(
        Buffer.from(blob),
      ),
    ).toBe(true);
    expect(() => chooseSquareParams(max + 1, PRESETS.devnet)).toThrow(/exceeds the devnet maximum/);
  });

  it("a rebuilt square that does not match the data root is rejected", () => {
    const { square } = encodeBlob(randomBlob(5000), PRESETS.devnet);
    const other = encodeBlob(randomBlob(5000), PRESETS.devnet).commitment.dataRoot;
    const present = new Uint8Array(squareWidth(square.params) ** 2).fill(1);
    expect(() => decodeBlob(square, present, 5000, other)).toThrow(/does not match the data root/);
  });

  it("rejects non-zero padding, so one header maps to one square", () => {
    const blob = randomBlob(100);
    // Claiming 99 bytes turns the last byte into padding: it must be non-zero for the check to bite
    // (a random byte is zero one time in 256).
    blob[99] = 0xa5;
    const { square } = encodeBlob(blob, PRESETS.devnet);
    expect(() => extractBlob(square.data, square.params, 99)).toThrow(/padding is not zero/);
    expect(same(extractBlob(square.data, square.params, 100), blob)).toBe(true);
    expect(commitSquare(square).commitment.dataRoot).toHaveLength(32);
  });

  it("chooses the smallest power-of-two area that holds the blob, then the smallest cells", () => {
    expect(chooseSquareParams(1, PRESETS.devnet)).toEqual({ k: 1, cellSize: 64 });
    expect(chooseSquareParams(65, PRESETS.devnet)).toEqual({ k: 1, cellSize: 128 });
    expect(chooseSquareParams(129, PRESETS.devnet)).toEqual({ k: 2, cellSize: 64 });
    expect(chooseSquareParams(128 * KiB, PRESETS.devnet)).toEqual({ k: 32, cellSize: 128 });
    expect(chooseSquareParams(1 * MiB, PRESETS.devnet)).toEqual({ k: 128, cellSize: 64 });
    expect(chooseSquareParams(1 * MiB + 1, PRESETS.devnet)).toEqual({ k: 128, cellSize: 128 });
    expect(chooseSquareParams(16 * MiB, PRESETS.devnet)).toEqual({ k: 128, cellSize: 1024 });
    expect(chooseSquareParams(16 * MiB, PRESETS.mainnet)).toEqual({ k: 128, cellSize: 1024 });
    expect(chooseSquareParams(1, PRESETS.mainnet)).toEqual({ k: 1, cellSize: 512 });
    expect(chooseSquareParams(600, PRESETS.mainnet)).toEqual({ k: 1, cellSize: 1024 });
    expect(() => chooseSquareParams(0, PRESETS.devnet)).toThrow(/at least one byte/);
  });

  it("never pads a blob to more than twice its size (beyond the smallest cell)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 * MiB }),
        fc.constantFrom(PRESETS.devnet, PRESETS.mainnet),
        (size, p) => {
          const { k, cellSize } = chooseSquareParams(size, p);
          expect(k * k * cellSize).toBeGreaterThanOrEqual(size);
          expect(k * k * cellSize).toBeLessThan(Math.max(2 * size, p.minCellSize + 1));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
