import { availableKernels, type KernelChoice, useKernel } from "../../src/index.ts";

/**
 * Every kernel this machine runs, so each test covers the native SIMD paths and the portable
 * JavaScript fallback alike. Restores the automatic choice afterwards.
 */
export const KERNELS: KernelChoice[] = availableKernels();

export function withKernel<T>(kernel: KernelChoice, fn: () => T): T {
  if (!useKernel(kernel)) throw new Error(`kernel ${kernel} unavailable`);
  try {
    return fn();
  } finally {
    useKernel("auto");
  }
}
