/**
 * Reusable extended-square buffers, keyed by geometry (k, cellSize). A fresh 64 MiB square
 * costs more in page faults than its whole Reed-Solomon pass (protocol's `extendBlob` doc), so a
 * long-running encoder keeps a few per geometry. A buffer is owned by one blob from `acquire`
 * until `release`; concurrent blobs of one geometry get distinct buffers.
 */
import type { SquareParams } from "@tributary/protocol";

export type SquarePoolOptions = {
  /** Idle buffers kept per geometry; 0 disables reuse. */
  maxIdlePerGeometry: number;
  /** Bound on the bytes of all idle buffers together. */
  maxIdleBytes: number;
};

export class SquarePool {
  private readonly opts: SquarePoolOptions;
  private readonly idle = new Map<string, Uint8Array[]>();
  private idleBytes = 0;

  constructor(opts: SquarePoolOptions) {
    this.opts = opts;
  }

  /** A buffer of exactly 4k^2 * cellSize bytes (contents unspecified: extendBlob overwrites all). */
  acquire(params: SquareParams): Uint8Array {
    const list = this.idle.get(keyOf(params));
    const reused = list?.pop();
    if (reused !== undefined) {
      this.idleBytes -= reused.length;
      return reused;
    }
    return new Uint8Array(squareBytes(params));
  }

  /** Returns a buffer for reuse; dropped when the pool is full. Never use it after this. */
  release(params: SquareParams, buffer: Uint8Array): void {
    if (buffer.length !== squareBytes(params)) return;
    const key = keyOf(params);
    const list = this.idle.get(key) ?? [];
    if (list.length >= this.opts.maxIdlePerGeometry) return;
    if (this.idleBytes + buffer.length > this.opts.maxIdleBytes) return;
    list.push(buffer);
    this.idle.set(key, list);
    this.idleBytes += buffer.length;
  }

  /** Bytes held by idle buffers. */
  get idleBufferBytes(): number {
    return this.idleBytes;
  }

  clear(): void {
    this.idle.clear();
    this.idleBytes = 0;
  }
}

function keyOf(params: SquareParams): string {
  return `${params.k}x${params.cellSize}`;
}

function squareBytes(params: SquareParams): number {
  return 4 * params.k * params.k * params.cellSize;
}
