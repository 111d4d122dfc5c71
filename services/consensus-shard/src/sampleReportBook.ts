/**
 * Which blobs of this shard have a passing sample report (pure). Validators vote on a block only
 * once every blob in it has one; a failed report records nothing (a later one may pass after
 * repair). Entries are forgotten after `retentionMs` (reports live 1 h in their stream).
 */
export class SampleReportBook {
  private readonly passed = new Map<string, number>();
  private readonly waiters = new Set<{ keys: Set<string>; resolve: () => void }>();
  private readonly retentionMs: number;

  constructor(retentionMs = 3_600_000) {
    this.retentionMs = retentionMs;
  }

  recordPassed(keyHex: string, nowMs = Date.now()): void {
    this.passed.set(keyHex, nowMs);
    for (const w of [...this.waiters]) {
      w.keys.delete(keyHex);
      if (w.keys.size === 0) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  hasPassed(keyHex: string): boolean {
    return this.passed.has(keyHex);
  }

  /** Resolves once every key has a passing report; rejects if `signal` aborts first. */
  waitForPassed(keysHex: readonly string[], signal?: AbortSignal): Promise<void> {
    const keys = new Set(keysHex.filter((k) => !this.passed.has(k)));
    if (keys.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        keys,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal?.reason ?? new Error("aborted"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Keys still awaited by some waiter (for logs). */
  awaited(): number {
    let n = 0;
    for (const w of this.waiters) n += w.keys.size;
    return n;
  }

  prune(nowMs = Date.now()): void {
    for (const [k, at] of this.passed) if (nowMs - at > this.retentionMs) this.passed.delete(k);
  }
}
