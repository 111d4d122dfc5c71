/**
 * The leader lease of one consensus shard: KV bucket `tributary_leases`, key `<shardId>`, value
 * the holder's validator id. The bucket's max age (5 s) is the lease TTL. A candidate takes the
 * lease with `create` (succeeds only if the key is absent or deleted/expired) and the holder
 * renews every `renewMs` with `update(expected revision)`; any failed renew means the lease is
 * lost at once (another candidate may have it). Releasing on close deletes the key at the held
 * revision so a successor need not wait for the TTL.
 *
 * Safety does not rest on the lease: two processes that both believe they lead can only race
 * for a height, and JetStream's expected-last-sequence check lets exactly one block per height
 * in. The lease only keeps that race rare.
 */
import type { Logger } from "@tributary/runtime";

/** The slice of nats.js KV the lease needs (a fake in unit tests). */
export interface LeaseKv {
  create(key: string, value: Uint8Array): Promise<number>;
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  get(key: string): Promise<{ value: Uint8Array; revision: number; operation: string } | null>;
  delete(key: string, opts?: { previousSeq?: number }): Promise<void>;
}

export type LeaderLeaseOptions = {
  readonly key: string;
  readonly holderId: string;
  /** Renew (or try to take) the lease this often; well under the bucket TTL. */
  readonly renewMs: number;
};

export type LeaderLeaseModules = {
  readonly kv: LeaseKv;
  readonly logger: Logger;
  /** Called on every change of `held`. */
  readonly onChange?: (held: boolean) => void;
};

export class LeaderLease {
  private readonly opts: LeaderLeaseOptions;
  private readonly modules: LeaderLeaseModules;
  private revision: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(opts: LeaderLeaseOptions, modules: LeaderLeaseModules) {
    this.opts = opts;
    this.modules = modules;
  }

  get held(): boolean {
    return this.revision !== undefined;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.opts.renewMs);
      });
    };
    loop();
  }

  /** One acquire-or-renew step (exposed for tests). */
  async tick(): Promise<void> {
    const { kv, logger } = this.modules;
    const value = new TextEncoder().encode(this.opts.holderId);
    if (this.revision !== undefined) {
      try {
        this.revision = await kv.update(this.opts.key, value, this.revision);
      } catch (err) {
        logger.warn("Leader lease lost (renew failed)", { key: this.opts.key, err });
        this.set(undefined);
      }
      return;
    }
    try {
      this.set(await kv.create(this.opts.key, value));
      logger.info("Leader lease acquired", { key: this.opts.key, holder: this.opts.holderId });
      return;
    } catch {
      // Held by someone, or by an earlier incarnation of ourselves: look.
    }
    try {
      const entry = await kv.get(this.opts.key);
      if (
        entry !== null &&
        entry.operation === "PUT" &&
        new TextDecoder().decode(entry.value) === this.opts.holderId
      ) {
        this.set(await kv.update(this.opts.key, value, entry.revision));
        logger.info("Leader lease resumed", { key: this.opts.key, holder: this.opts.holderId });
      }
    } catch {
      // Lost the race: stay a follower until the next tick.
    }
  }

  /** Stops renewing; releases the lease if held. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const revision = this.revision;
    if (revision === undefined) return;
    this.set(undefined);
    try {
      await this.modules.kv.delete(this.opts.key, { previousSeq: revision });
    } catch {
      // Someone else already holds it, or NATS is gone: the TTL frees it anyway.
    }
  }

  private set(revision: number | undefined): void {
    const was = this.held;
    this.revision = revision;
    if (was !== this.held) this.modules.onChange?.(this.held);
  }
}
