/**
 * Used nonces in Redis (docs/pipeline.md "Accounts"): key `<prefix><account>:<nonce>` holds the
 * request id that used it, written with SET NX and an expiry longer than the replay window, so a
 * nonce cannot be used by other content while a request carrying it could still be accepted.
 * A dispersal that fails releases its nonce (compare-and-delete on the request id), so a forged
 * or failed request does not burn the account's nonce.
 */
import type { Redis } from "ioredis";
import { accountKey } from "./accountLimits.ts";
import { DisperserErrorCode, disperserError } from "./errors.ts";

export const NONCE_KEY_PREFIX = "tributary:nonce:";

/** Deletes KEYS[1] only while it still holds ARGV[1]. */
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * A request is accepted while |timestamp - now| <= skew, so the same signed request can arrive
 * up to 2 x skew after the first one: remember its nonce that long, plus a minute of margin.
 */
export function nonceTtlMs(maxClockSkewMs: number): number {
  return 2 * maxClockSkewMs + 60_000;
}

export type NonceRegistryOptions = {
  /** How long a used nonce is remembered, ms: longer than the whole replay window. */
  ttlMs: number;
  /** Key prefix; tests use their own. */
  prefix?: string;
};

export class NonceRegistry {
  private readonly redis: Redis;
  private readonly ttlMs: number;
  private readonly prefix: string;

  constructor(opts: NonceRegistryOptions, modules: { redis: Redis }) {
    this.redis = modules.redis;
    this.ttlMs = opts.ttlMs;
    this.prefix = opts.prefix ?? NONCE_KEY_PREFIX;
  }

  key(account: Uint8Array, nonce: bigint): string {
    return `${this.prefix}${accountKey(account)}:${nonce}`;
  }

  /** Claims (account, nonce) for `requestIdHex`; ALREADY_EXISTS if other content holds it. */
  async claim(account: Uint8Array, nonce: bigint, requestIdHex: string): Promise<void> {
    const key = this.key(account, nonce);
    if ((await this.redis.set(key, requestIdHex, "PX", this.ttlMs, "NX")) === "OK") return;
    const holder = await this.redis.get(key);
    // The same request (its earlier attempt): the request id's own record already serialised it.
    if (holder === requestIdHex) return;
    throw disperserError(
      DisperserErrorCode.nonceUsed,
      "already_exists",
      `nonce already used: account ${accountKey(account)} used nonce ${nonce} for another request`,
      { account: accountKey(account), nonce: String(nonce) },
    );
  }

  /** Frees the nonce if `requestIdHex` still holds it (after a failed dispersal). */
  async release(account: Uint8Array, nonce: bigint, requestIdHex: string): Promise<void> {
    await this.redis.eval(COMPARE_AND_DELETE, 1, this.key(account, nonce), requestIdHex);
  }
}
