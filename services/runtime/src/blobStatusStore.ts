/**
 * Blob status in Redis (docs/pipeline.md): hash `tributary:blob:<keyHex>`. Every writer — the
 * disperser, attester, consensus leader — goes through `transition`, one Lua script that
 * applies a status only if it moves forward, so concurrent or replayed writers can never move a
 * blob backwards (QUEUED < ENCODED < CERTIFIED < CONFIRMED < FINALIZED; FAILED and EXPIRED are
 * terminal, and FAILED never replaces FINALIZED).
 */
import type { Redis } from "ioredis";
import type { Counter } from "prom-client";

export const BLOB_STATUSES = [
  "QUEUED",
  "ENCODED",
  "CERTIFIED",
  "CONFIRMED",
  "FINALIZED",
  "FAILED",
  "EXPIRED",
] as const;
export type BlobStatusName = (typeof BLOB_STATUSES)[number];

const RANK: Record<BlobStatusName, number> = {
  QUEUED: 0,
  ENCODED: 1,
  CERTIFIED: 2,
  CONFIRMED: 3,
  FINALIZED: 4,
  FAILED: 5,
  EXPIRED: 6,
};

export function blobStatusKey(blobKey: Uint8Array): string {
  return `tributary:blob:${Buffer.from(blobKey).toString("hex")}`;
}

/**
 * KEYS[1] blob hash; ARGV[1] new status, ARGV[2] its rank, ARGV[3] now (ms), ARGV[4..] field/value
 * pairs set with it. Returns 1 if applied, 0 if the stored status is not behind the new one.
 * Rules: terminal statuses (rank >= 5) are final; FAILED/EXPIRED replace any non-terminal
 * status except that FAILED never replaces FINALIZED; otherwise only a higher rank applies.
 */
const TRANSITION = `
local cur = redis.call('HGET', KEYS[1], 'rank')
local new = tonumber(ARGV[2])
if cur then
  cur = tonumber(cur)
  if cur >= 5 then return 0 end
  if new == 5 and cur == 4 then return 0 end
  if new < 5 and new <= cur then return 0 end
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'rank', ARGV[2], 't.' .. ARGV[1], ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

export interface BlobRecord {
  readonly status: BlobStatusName;
  /** Every field of the hash, as stored. */
  readonly fields: Readonly<Record<string, string>>;
}

export type BlobStatusStoreModules = {
  /**
   * Counts the transitions this writer applied, by new status: summed over the writers (disperser,
   * attester, consensus shards) it is the status funnel, and a stage whose entries stop being
   * followed by the next stage's is where blobs are stuck (deploy/prometheus/alerts.yml).
   */
  transitions?: Counter<"status">;
};

export class BlobStatusStore {
  private readonly redis: Redis;
  private readonly transitions: Counter<"status"> | undefined;

  constructor(redis: Redis, modules: BlobStatusStoreModules = {}) {
    this.redis = redis;
    this.transitions = modules.transitions;
    this.redis.defineCommand("tributaryTransition", { numberOfKeys: 1, lua: TRANSITION });
  }

  /** Applies `status` (with `fields`) if it moves the blob forward; returns whether it did. */
  async transition(
    blobKey: Uint8Array,
    status: BlobStatusName,
    fields: Readonly<Record<string, string>> = {},
    nowMs = Date.now(),
  ): Promise<boolean> {
    const args = [status, String(RANK[status]), String(nowMs), ...Object.entries(fields).flat()];
    const cmd = (this.redis as unknown as Record<string, (...a: string[]) => Promise<number>>)
      .tributaryTransition!;
    const applied = (await cmd.call(this.redis, blobStatusKey(blobKey), ...args)) === 1;
    if (applied) this.transitions?.inc({ status });
    return applied;
  }

  async get(blobKey: Uint8Array): Promise<BlobRecord | undefined> {
    const fields = await this.redis.hgetall(blobStatusKey(blobKey));
    const status = fields.status as BlobStatusName | undefined;
    if (status === undefined || !(status in RANK)) return undefined;
    return { status, fields };
  }
}

export function statusRank(status: BlobStatusName): number {
  return RANK[status];
}
