/**
 * The batching policy: blobs are grouped by epoch (a batch is signed by one epoch's storage
 * shards) and a group is cut into a batch when it reaches `maxBatchBlobs` or when its oldest blob
 * has waited `maxBatchDelayMs`. A blob key seen twice while pending (a redelivered event) joins
 * its first entry, so the batch never lists a key twice and both deliveries are settled together.
 *
 * Pure: time comes in as arguments; the attester drives it from its timer.
 */

export type BatcherOptions = {
  /** Cut a batch when it holds this many distinct blobs. */
  readonly maxBatchBlobs: number;
  /** Cut a batch when its oldest blob has waited this long. */
  readonly maxBatchDelayMs: number;
};

export type BatchEntry<V, R> = {
  readonly keyHex: string;
  readonly value: V;
  /** Every delivery of this blob (e.g. the JetStream messages to ack or nak). */
  readonly refs: R[];
};

export type Batch<V, R> = {
  readonly epoch: number;
  readonly entries: BatchEntry<V, R>[];
};

type Group<V, R> = { firstAtMs: number; entries: Map<string, BatchEntry<V, R>> };

export class Batcher<V, R> {
  private readonly opts: BatcherOptions;
  private readonly groups = new Map<number, Group<V, R>>();

  constructor(opts: BatcherOptions) {
    if (!Number.isInteger(opts.maxBatchBlobs) || opts.maxBatchBlobs < 1) {
      throw new RangeError("maxBatchBlobs must be a positive integer");
    }
    if (!(opts.maxBatchDelayMs >= 0)) throw new RangeError("maxBatchDelayMs must be >= 0");
    this.opts = opts;
  }

  /** Pending distinct blobs over all epochs. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.entries.size;
    return n;
  }

  /** Adds a delivery; returns the batch it completed, if it filled one. */
  add(epoch: number, keyHex: string, value: V, ref: R, nowMs: number): Batch<V, R> | undefined {
    let group = this.groups.get(epoch);
    if (group === undefined) {
      group = { firstAtMs: nowMs, entries: new Map() };
      this.groups.set(epoch, group);
    }
    const existing = group.entries.get(keyHex);
    if (existing !== undefined) {
      existing.refs.push(ref);
      return undefined;
    }
    group.entries.set(keyHex, { keyHex, value, refs: [ref] });
    if (group.entries.size >= this.opts.maxBatchBlobs) return this.cut(epoch);
    return undefined;
  }

  /** Batches whose oldest blob has waited at least maxBatchDelayMs. */
  takeDue(nowMs: number): Batch<V, R>[] {
    const due: Batch<V, R>[] = [];
    for (const [epoch, group] of [...this.groups]) {
      if (nowMs - group.firstAtMs >= this.opts.maxBatchDelayMs) due.push(this.cut(epoch));
    }
    return due;
  }

  /** When the next batch falls due, or undefined if nothing is pending. */
  nextDueAtMs(): number | undefined {
    let next: number | undefined;
    for (const g of this.groups.values()) {
      const at = g.firstAtMs + this.opts.maxBatchDelayMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Everything pending, as batches (shutdown: to release the deliveries). */
  takeAll(): Batch<V, R>[] {
    return [...this.groups.keys()].map((epoch) => this.cut(epoch));
  }

  private cut(epoch: number): Batch<V, R> {
    const group = this.groups.get(epoch)!;
    this.groups.delete(epoch);
    return { epoch, entries: [...group.entries.values()] };
  }
}
