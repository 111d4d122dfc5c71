/**
 * Per-account dispersal rate in Redis: a token bucket of blob bytes per account, key
 * `<prefix><account>` = hash {tokens, ms}, refilled at bytesPerSecond up to burstBytes and
 * charged the blob's size, in ONE Lua script so concurrent dispersers never double-spend. The
 * script reads Redis' own clock (TIME), so dispersers with skewed clocks share one timeline.
 * A refused charge leaves the bucket as it was and answers how long until it would pass.
 */
import type { Redis } from "ioredis";
import { type AccountLimits, accountKey } from "./accountLimits.ts";
import { DisperserErrorCode, disperserError } from "./errors.ts";

export const QUOTA_KEY_PREFIX = "tributary:quota:";
export const RETRY_AFTER_TRAILER = "retry-after-ms";

/**
 * KEYS[1] bucket; ARGV: burst (bytes), rate (bytes/s), cost (bytes; negative refunds).
 * Returns {1, 0} when charged, {0, wait ms} when refused.
 */
const TAKE = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
local tokens = tonumber(state[1])
local ms = tonumber(state[2])
if tokens == nil or ms == nil then
  tokens = cap
  ms = now
end
if now > ms then
  tokens = math.min(cap, tokens + (now - ms) * rate / 1000)
  ms = now
end
if cost > tokens then
  return {0, math.ceil((cost - tokens) * 1000 / rate)}
end
tokens = math.min(cap, tokens - cost)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(ms))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap * 1000 / rate) + 1000)
return {1, 0}
`;

export class TokenBucket {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(opts: { prefix?: string }, modules: { redis: Redis }) {
    this.redis = modules.redis;
    this.prefix = opts.prefix ?? QUOTA_KEY_PREFIX;
  }

  key(account: Uint8Array): string {
    return this.prefix + accountKey(account);
  }

  /**
   * Charges `bytes` to the account; RESOURCE_EXHAUSTED with the wait in the `retry-after-ms`
   * trailer when the bucket holds too little. No-op for accounts without a rate limit.
   */
  async take(account: Uint8Array, bytes: number, limits: AccountLimits): Promise<void> {
    if (limits.bytesPerSecond === 0) return;
    const [ok, waitMs] = (await this.redis.eval(
      TAKE,
      1,
      this.key(account),
      limits.burstBytes,
      limits.bytesPerSecond,
      bytes,
    )) as [number, number];
    if (ok === 1) return;
    throw disperserError(
      DisperserErrorCode.rateLimited,
      "rate_limited",
      `account ${accountKey(account)} is over its rate of ${limits.bytesPerSecond} bytes/s (burst ${limits.burstBytes} bytes); retry in ${waitMs} ms`,
      {
        account: accountKey(account),
        retryAfterMs: waitMs,
        trailers: { [RETRY_AFTER_TRAILER]: String(waitMs) },
      },
    );
  }

  /** Gives back a charge whose dispersal failed (capped at the burst). */
  async refund(account: Uint8Array, bytes: number, limits: AccountLimits): Promise<void> {
    if (limits.bytesPerSecond === 0) return;
    await this.redis.eval(TAKE, 1, this.key(account), limits.burstBytes, limits.bytesPerSecond, -bytes);
  }
}
