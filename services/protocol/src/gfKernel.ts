/**
 * The one primitive the Reed-Solomon codec and the Merkle commitment need fast:
 *  - `matMul`: out[m] = sum_i coefs[m][i] * in[i] over GF(2^8), cell-wise;
 *  - `hashLeaves` / `hashNodes`: many domain-separated SHA-256 calls in one go.
 * A native addon (native/, built by node-gyp at install) does this with GFNI/AVX-512 or AVX2
 * chosen at run time; where it is missing, or when TRIBUTARY_CODEC_KERNEL=js, a portable
 * JavaScript implementation computes byte-identical results.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { FFT_SKEW, gfMulTable } from "./gf256.ts";

export interface GfKernel {
  /** "js", or the native kernel name ("gfni-avx512", "avx2", "scalar"). */
  readonly name: string;
  /** Offsets are byte offsets into `buf`; outputs must not overlap inputs; len % 64 === 0. */
  matMul(
    coefs: Uint8Array,
    outCount: number,
    inCount: number,
    buf: Uint8Array,
    inOffsets: Int32Array,
    outOffsets: Int32Array,
    len: number,
  ): void;
  /**
   * Systematic Reed-Solomon parity by additive FFT: writes the k parity cells (outOffsets) of
   * the k data cells (inOffsets), `len` bytes each (see native/src/rsFft.c for the maths).
   */
  fftExtend(buf: Uint8Array, inOffsets: Int32Array, outOffsets: Int32Array, k: number, len: number): void;
  /** out = SHA-256(0x00 || data): one leaf, as proof verification needs. */
  hashLeafInto(data: Uint8Array, out: Uint8Array): void;
  /** out = SHA-256(0x01 || left || right). */
  hashNodeInto(left: Uint8Array, right: Uint8Array, out: Uint8Array): void;
  /**
   * Writes to `out` the root implied by an RFC 6962 audit path; false (out untouched) when the
   * path cannot belong to a tree of `leafCount` leaves. Semantics of `rootFromProof` in merkle.ts.
   */
  rootFromPath(
    leafHash: Uint8Array,
    siblings: readonly Uint8Array[],
    index: number,
    leafCount: number,
    out: Uint8Array,
  ): boolean;
  /** out[32i..] = SHA-256(0x00 || buf[offsets[i] .. +len]). */
  hashLeaves(buf: Uint8Array, offsets: Int32Array, len: number, out: Uint8Array): void;
  /** out[32i..] = SHA-256(0x01 || input[64i .. 64i+64]). */
  hashNodes(input: Uint8Array, out: Uint8Array): void;
}

interface NativeAddon {
  gfMatMul: GfKernel["matMul"];
  rsFftExtend: GfKernel["fftExtend"];
  hashLeafInto: GfKernel["hashLeafInto"];
  hashNodeInto: GfKernel["hashNodeInto"];
  rootFromPath: GfKernel["rootFromPath"];
  hashLeaves: GfKernel["hashLeaves"];
  hashNodes: GfKernel["hashNodes"];
  kernelName(): string;
  alignOffset(view: Uint8Array, alignment: number): number;
  forceKernel(name: string): boolean;
}

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export const jsKernel: GfKernel = {
  name: "js",
  matMul(coefs, outCount, inCount, buf, inOffsets, outOffsets, len) {
    const table = gfMulTable();
    for (let m = 0; m < outCount; m++) {
      const o = outOffsets[m]!;
      buf.fill(0, o, o + len);
      for (let i = 0; i < inCount; i++) {
        const c = coefs[m * inCount + i]!;
        if (c === 0) continue;
        const s = inOffsets[i]!;
        if (c === 1) {
          for (let b = 0; b < len; b++) buf[o + b]! ^= buf[s + b]!;
        } else {
          const t = c * 256;
          for (let b = 0; b < len; b++) buf[o + b]! ^= table[t + buf[s + b]!]!;
        }
      }
    }
  },
  fftExtend(buf, inOffsets, outOffsets, k, len) {
    const table = gfMulTable();
    const v = Array.from(outOffsets.subarray(0, k));
    for (let i = 0; i < k; i++) buf.copyWithin(v[i]!, inOffsets[i]!, inOffsets[i]! + len);
    // Forward butterfly: x += c*y; y += x. Inverse: y += x; x += c*y.
    const mulAdd = (dst: number, src: number, c: number) => {
      if (c === 0) return;
      const t = c * 256;
      for (let b = 0; b < len; b++) buf[dst + b]! ^= table[t + buf[src + b]!]!;
    };
    const xorInto = (dst: number, src: number) => {
      for (let b = 0; b < len; b++) buf[dst + b]! ^= buf[src + b]!;
    };
    for (let half = 1, j = 0; half < k; half *= 2, j++) {
      for (let s = 0; s < k; s += 2 * half) {
        const c = FFT_SKEW[j * 256 + s]!;
        for (let i = 0; i < half; i++) {
          xorInto(v[s + half + i]!, v[s + i]!);
          mulAdd(v[s + i]!, v[s + half + i]!, c);
        }
      }
    }
    for (let half = k / 2, j = Math.log2(k) - 1; half >= 1; half /= 2, j--) {
      for (let s = 0; s < k; s += 2 * half) {
        const c = FFT_SKEW[j * 256 + ((k ^ s) & 0xff)]!;
        for (let i = 0; i < half; i++) {
          mulAdd(v[s + i]!, v[s + half + i]!, c);
          xorInto(v[s + half + i]!, v[s + i]!);
        }
      }
    }
  },
  hashLeafInto(data, out) {
    out.set(createHash("sha256").update(LEAF).update(data).digest());
  },
  hashNodeInto(left, right, out) {
    out.set(createHash("sha256").update(NODE).update(left).update(right).digest());
  },
  rootFromPath(leafHash, siblings, index, leafCount, out) {
    let fn = index;
    let sn = leafCount - 1;
    if (!Number.isInteger(fn) || fn < 0 || fn > sn) return false;
    let r: Uint8Array = leafHash;
    for (const p of siblings) {
      if (p.length !== 32 || sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = createHash("sha256").update(NODE).update(p).update(r).digest();
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        r = createHash("sha256").update(NODE).update(r).update(p).digest();
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) return false;
    out.set(r);
    return true;
  },
  hashLeaves(buf, offsets, len, out) {
    for (let i = 0; i < offsets.length; i++) {
      const s = offsets[i]!;
      const d = createHash("sha256")
        .update(LEAF)
        .update(buf.subarray(s, s + len))
        .digest();
      out.set(d, 32 * i);
    }
  },
  hashNodes(input, out) {
    for (let i = 0; i < input.length / 64; i++) {
      const d = createHash("sha256")
        .update(NODE)
        .update(input.subarray(64 * i, 64 * i + 64))
        .digest();
      out.set(d, 32 * i);
    }
  },
};

function loadNative(): NativeAddon | undefined {
  try {
    const require = createRequire(import.meta.url);
    return require("../native/build/Release/tributary_native.node") as NativeAddon;
  } catch {
    return undefined;
  }
}

const native = loadNative();
// CI sets this so that a broken native build fails loudly instead of passing on the fallback.
if (native === undefined && process.env.TRIBUTARY_REQUIRE_NATIVE === "1") {
  throw new Error(
    "TRIBUTARY_REQUIRE_NATIVE=1 but the native codec addon is not built (services/protocol/native)",
  );
}

/**
 * A fresh buffer of `size` bytes whose first byte sits at a memory address that is a multiple
 * of `alignment` (a power of two), as O_DIRECT file I/O requires; undefined without the native
 * addon (the caller falls back to buffered I/O).
 */
export function allocAligned(size: number, alignment: number): Uint8Array | undefined {
  if (native === undefined) return undefined;
  const raw = Buffer.allocUnsafeSlow(size + alignment);
  const skip = native.alignOffset(raw, alignment);
  return raw.subarray(skip, skip + size);
}

function nativeKernel(addon: NativeAddon): GfKernel {
  return {
    get name() {
      return addon.kernelName();
    },
    matMul: addon.gfMatMul,
    fftExtend: addon.rsFftExtend,
    hashLeafInto: addon.hashLeafInto,
    hashNodeInto: addon.hashNodeInto,
    rootFromPath: addon.rootFromPath,
    hashLeaves: addon.hashLeaves,
    hashNodes: addon.hashNodes,
  };
}

export type KernelChoice = "auto" | "js" | "scalar" | "avx2" | "gfni-avx512";

/** Resolves a choice to a kernel, or undefined when this machine cannot run it. */
function resolveKernel(choice: KernelChoice): GfKernel | undefined {
  if (choice === "js") return jsKernel;
  if (native === undefined) return undefined;
  if (choice === "auto") {
    for (const k of ["gfni-avx512", "avx2", "scalar"] as const) if (native.forceKernel(k)) break;
  } else if (!native.forceKernel(choice)) {
    return undefined;
  }
  return nativeKernel(native);
}

function initialKernel(): GfKernel {
  const wanted = (process.env.TRIBUTARY_CODEC_KERNEL ?? "auto") as KernelChoice;
  const kernel = resolveKernel(wanted);
  if (kernel !== undefined) return kernel;
  if (wanted === "auto") return jsKernel;
  throw new Error(`TRIBUTARY_CODEC_KERNEL=${wanted} is not available on this machine`);
}

let active: GfKernel = initialKernel();

/** The kernel every codec call uses now. */
export function currentKernel(): GfKernel {
  return active;
}

/** Kernels this machine can run, best first. */
export function availableKernels(): KernelChoice[] {
  const list: KernelChoice[] = [];
  if (native !== undefined) {
    const before = native.kernelName();
    for (const k of ["gfni-avx512", "avx2", "scalar"] as const) if (native.forceKernel(k)) list.push(k);
    native.forceKernel(before);
  }
  list.push("js");
  return list;
}

/**
 * Switches the process-wide kernel (tests and benchmarks compare them). Returns false, changing
 * nothing, when this machine cannot run the one asked for.
 */
export function useKernel(choice: KernelChoice): boolean {
  const kernel = resolveKernel(choice);
  if (kernel === undefined) return false;
  active = kernel;
  return true;
}
