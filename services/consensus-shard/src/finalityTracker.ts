/**
 * Which heights of this shard are final: follows `tributary.finality.<shardId>` (ordered
 * consumer from the start) and keeps each FinalityEvent by height, for the gRPC API (finalized
 * flags, aggregate signatures, `finalized_only` streams) and to skip work already done.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type FinalityEvent, FinalityEventSchema } from "@tributary/proto/tributary/events/v1/events";
import type { Logger } from "@tributary/runtime";
import { DeliverPolicy, type JetStreamClient } from "nats";
import { finalityStream, finalitySubject, type LaneNames } from "./lane.ts";

export class FinalityTracker {
  private readonly events = new Map<number, FinalityEvent>();
  private readonly waiters = new Map<number, Set<() => void>>();
  private readonly shardId: string;
  private readonly lane: LaneNames;
  private loop: Promise<void> | undefined;

  constructor(shardId: string, lane: LaneNames) {
    this.shardId = shardId;
    this.lane = lane;
  }

  /** Starts following; resolves once the events stored so far have been read. */
  async start(js: JetStreamClient, signal: AbortSignal, logger: Logger): Promise<void> {
    const jsm = await js.jetstreamManager();
    const subject = finalitySubject(this.lane, this.shardId);
    const info = await jsm.streams.info(finalityStream(this.lane), { subjects_filter: subject });
    const stored = info.state.subjects?.[subject] ?? 0;
    const consumer = await js.consumers.get(finalityStream(this.lane), {
      filterSubjects: subject,
      // StartSequence 1, not DeliverPolicy.All: nats.js 2.29 ordered consumers hang on "All" (opt_start_seq is sent with it).
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
    });
    const messages = await consumer.consume();
    signal.addEventListener("abort", () => messages.stop(), { once: true });
    let seen = 0;
    let caughtUp!: () => void;
    const ready = new Promise<void>((r) => {
      caughtUp = r;
    });
    if (stored === 0) caughtUp();
    this.loop = (async () => {
      for await (const m of messages) {
        try {
          this.record(fromBinary(FinalityEventSchema, m.data));
        } catch (err) {
          logger.warn("Malformed finality event ignored", { err });
        }
        if (++seen >= stored) caughtUp();
      }
    })().catch((err: unknown) => {
      if (!signal.aborted) logger.error("Finality follower stopped", { err });
    });
    await ready;
  }

  async closed(): Promise<void> {
    await this.loop;
  }

  record(event: FinalityEvent): void {
    const height = Number(event.height);
    if (this.events.has(height)) return;
    this.events.set(height, event);
    const ws = this.waiters.get(height);
    this.waiters.delete(height);
    for (const w of ws ?? []) w();
  }

  has(height: number): boolean {
    return this.events.has(height);
  }

  get(height: number): FinalityEvent | undefined {
    return this.events.get(height);
  }

  /** The highest height below which every height is final (0 if none). */
  contiguousFinalHeight(): number {
    let h = 0;
    while (this.events.has(h + 1)) h++;
    return h;
  }

  waitFor(height: number, signal: AbortSignal): Promise<void> {
    if (this.events.has(height)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const set = this.waiters.get(height) ?? new Set();
      this.waiters.set(height, set);
      const done = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        set.delete(done);
        reject(signal.reason);
      };
      set.add(done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
