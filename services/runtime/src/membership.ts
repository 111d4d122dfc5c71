/**
 * Epoch membership in NATS KV (docs/pipeline.md): bucket `tributary_membership`, key `current`
 * for the epoch in force and `epoch.<n>` for every epoch ever opened (immutable), so anything
 * that names an epoch can be checked against the membership of that epoch. JSON with hex bytes,
 * validated with zod at the edge and then by the protocol's `validateEpoch` (proofs of
 * possession included: a key without one could mount a rogue-key attack).
 */
import { type EpochMembership, validateEpoch } from "@tributary/protocol";
import { type JetStreamClient, type KV, KvWatchInclude } from "nats";
import { z } from "zod";
import { ensureKv } from "./nats.ts";

export const MEMBERSHIP_BUCKET = "tributary_membership";
export const CURRENT_KEY = "current";

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`)
    .describe(`${bytes} bytes, hex`);

const memberSchema = z.strictObject({
  id: z.string(),
  blsPublicKey: hex(48),
  weight: z.number().int().positive(),
  proofOfPossession: hex(96),
});

export const membershipJsonSchema = z.strictObject({
  epoch: z.number().int().nonnegative(),
  replication: z.number().int().positive(),
  columnMargin: z.number().int().nonnegative(),
  storageShards: z.array(memberSchema.extend({ endpoint: z.string().min(1) })),
  consensusShards: z.array(z.strictObject({ id: z.string(), validators: z.array(memberSchema) })),
});
export type MembershipJson = z.infer<typeof membershipJsonSchema>;

const fromHex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export function parseMembership(json: unknown): EpochMembership {
  const m = membershipJsonSchema.parse(json);
  const member = <T extends { blsPublicKey: string; proofOfPossession: string }>(x: T) => ({
    ...x,
    blsPublicKey: fromHex(x.blsPublicKey),
    proofOfPossession: fromHex(x.proofOfPossession),
  });
  const epoch: EpochMembership = {
    epoch: m.epoch,
    replication: m.replication,
    columnMargin: m.columnMargin,
    storageShards: m.storageShards.map(member),
    consensusShards: m.consensusShards.map((s) => ({ id: s.id, validators: s.validators.map(member) })),
  };
  validateEpoch(epoch);
  return epoch;
}

export function membershipToJson(m: EpochMembership): MembershipJson {
  const member = <T extends { blsPublicKey: Uint8Array; proofOfPossession: Uint8Array }>(x: T) => ({
    ...x,
    blsPublicKey: toHex(x.blsPublicKey),
    proofOfPossession: toHex(x.proofOfPossession),
  });
  return {
    epoch: m.epoch,
    replication: m.replication,
    columnMargin: m.columnMargin,
    storageShards: m.storageShards.map((s) => ({ ...member(s), endpoint: s.endpoint })),
    consensusShards: m.consensusShards.map((s) => ({ id: s.id, validators: s.validators.map(member) })),
  };
}

/** The membership bucket; another name only for tests that must not touch a running devnet's. */
export function openMembershipBucket(js: JetStreamClient, bucket = MEMBERSHIP_BUCKET): Promise<KV> {
  return ensureKv(js, bucket, { history: 5, description: "Tributary epoch membership" });
}

function decode(value: Uint8Array): EpochMembership {
  return parseMembership(JSON.parse(new TextDecoder().decode(value)));
}

/** Writes epoch `m.epoch` (once; epochs are immutable) and makes it current. */
export async function publishMembership(kv: KV, m: EpochMembership): Promise<void> {
  validateEpoch(m);
  const bytes = new TextEncoder().encode(JSON.stringify(membershipToJson(m)));
  const existing = await kv.get(`epoch.${m.epoch}`);
  if (existing !== null && existing.value.length > 0) {
    if (Buffer.compare(Buffer.from(existing.value), Buffer.from(bytes)) !== 0) {
      throw new Error(`epoch ${m.epoch} already exists with a different membership`);
    }
  } else {
    await kv.put(`epoch.${m.epoch}`, bytes);
  }
  await kv.put(CURRENT_KEY, bytes);
}

/** An epoch that was current until `replacedAtMs` (ms since the Unix epoch, this process's clock). */
export interface ReplacedEpoch<M extends { readonly epoch: number } = EpochMembership> {
  readonly membership: M;
  readonly replacedAtMs: number;
}

/** Default of every service's `epochGraceMs`. */
export const DEFAULT_EPOCH_GRACE_MS = 30_000;

/** The config leaf of a service's epoch grace, described by the service. */
export function epochGraceMsSchema(description: string) {
  return z.number().int().nonnegative().default(DEFAULT_EPOCH_GRACE_MS).describe(description);
}

/**
 * Whether a request naming epoch `requested` may still be served: the current epoch, or the one
 * it replaced during `graceMs` after the change. Returns the membership to serve it under.
 */
export function acceptedEpoch<M extends { readonly epoch: number }>(
  requested: number,
  view: { readonly current: M; readonly previous?: ReplacedEpoch<M> | undefined },
  nowMs: number,
  graceMs: number,
): M | undefined {
  if (requested === view.current.epoch) return view.current;
  const prev = view.previous;
  if (prev !== undefined && requested === prev.membership.epoch && nowMs - prev.replacedAtMs <= graceMs) {
    return prev.membership;
  }
  return undefined;
}

/**
 * The membership a service works with: the current epoch, kept up to date by a KV watch, and
 * any past epoch by number (read once, cached: epochs never change).
 */
export class MembershipView {
  private currentEpoch: EpochMembership;
  private previousEpoch: ReplacedEpoch | undefined;
  private readonly byNumber = new Map<number, EpochMembership>();
  private readonly kv: KV;
  private stopWatch: (() => void) | undefined;
  private readonly listeners = new Set<(m: EpochMembership) => void>();

  private constructor(kv: KV, current: EpochMembership) {
    this.kv = kv;
    this.currentEpoch = current;
    this.byNumber.set(current.epoch, current);
  }

  /** Loads the current epoch; waits up to `waitMs` for one to be published (devnet start-up). */
  static async open(
    js: JetStreamClient,
    opts: { waitMs?: number; signal?: AbortSignal; bucket?: string } = {},
  ): Promise<MembershipView> {
    const kv = await openMembershipBucket(js, opts.bucket);
    const deadline = Date.now() + (opts.waitMs ?? 30_000);
    for (;;) {
      const entry = await kv.get(CURRENT_KEY);
      if (entry !== null && entry.value.length > 0) {
        const view = new MembershipView(kv, decode(entry.value));
        await view.watch();
        return view;
      }
      if (Date.now() > deadline || opts.signal?.aborted) {
        throw new Error(
          `no epoch membership in KV bucket ${opts.bucket ?? MEMBERSHIP_BUCKET} (key ${CURRENT_KEY})`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  get current(): EpochMembership {
    return this.currentEpoch;
  }

  /**
   * The epoch the current one replaced, with when this process saw the change (undefined until
   * a change is seen): requests built for it are still accepted for a short grace.
   */
  get previous(): ReplacedEpoch | undefined {
    return this.previousEpoch;
  }

  /** Calls `fn` on every later epoch change. */
  onChange(fn: (m: EpochMembership) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async epoch(n: number): Promise<EpochMembership> {
    const cached = this.byNumber.get(n);
    if (cached !== undefined) return cached;
    const entry = await this.kv.get(`epoch.${n}`);
    if (entry === null || entry.value.length === 0) throw new Error(`unknown epoch ${n}`);
    const m = decode(entry.value);
    this.byNumber.set(n, m);
    return m;
  }

  private async watch(): Promise<void> {
    const iter = await this.kv.watch({ key: CURRENT_KEY, include: KvWatchInclude.UpdatesOnly });
    this.stopWatch = () => iter.stop();
    void (async () => {
      for await (const e of iter) {
        if (e.operation !== "PUT" || e.value.length === 0) continue;
        try {
          const m = decode(e.value);
          if (m.epoch === this.currentEpoch.epoch) continue;
          this.previousEpoch = { membership: this.currentEpoch, replacedAtMs: Date.now() };
          this.currentEpoch = m;
          this.byNumber.set(m.epoch, m);
          for (const fn of this.listeners) fn(m);
        } catch {
          // An invalid membership is ignored: the one in force stays (the publisher validates).
        }
      }
    })();
  }

  close(): void {
    this.stopWatch?.();
  }
}
