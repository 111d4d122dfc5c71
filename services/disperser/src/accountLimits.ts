/**
 * Per-account limits (config `quotas`): the defaults for every account, overridden field by
 * field for the accounts named in `quotas.accounts`. Pure.
 */
import type { RetentionLimits } from "@tributary/protocol";

export interface AccountLimits {
  /** Token bucket refill in bytes per second; 0: no rate limit. */
  readonly bytesPerSecond: number;
  /** Token bucket size in bytes. */
  readonly burstBytes: number;
  /** Largest blob, bytes: the account's limit, the network's and (when rate-limited) the burst. */
  readonly maxBlobBytes: number;
  readonly retention: RetentionLimits;
}

type LimitFields = {
  bytesPerSecond?: number | undefined;
  burstBytes?: number | undefined;
  maxBlobBytes?: number | undefined;
  maxRetentionSeconds?: number | undefined;
};

export type QuotaOptions = {
  default: LimitFields & { bytesPerSecond: number; burstBytes: number };
  /** Keyed by `0x` + 40 hex digits, any case. */
  accounts: Record<string, LimitFields>;
};

/** `0x` + lowercase hex: the form limits are looked up and Redis keys are written in. */
export function accountKey(account: Uint8Array): string {
  return `0x${Buffer.from(account).toString("hex")}`;
}

/** Case-insensitive index of the overrides (config may write checksummed addresses). */
export function indexOverrides(accounts: QuotaOptions["accounts"]): Map<string, LimitFields> {
  return new Map(Object.entries(accounts).map(([k, v]) => [k.toLowerCase(), v]));
}

export function limitsFor(
  account: Uint8Array,
  quotas: QuotaOptions,
  overrides: ReadonlyMap<string, LimitFields>,
  network: { maxBlobBytes: number; retention: RetentionLimits },
): AccountLimits {
  const o = overrides.get(accountKey(account)) ?? {};
  const d = quotas.default;
  const bytesPerSecond = o.bytesPerSecond ?? d.bytesPerSecond;
  const burstBytes = o.burstBytes ?? d.burstBytes;
  // A blob larger than the bucket could never be admitted: the burst caps the blob size too.
  const maxBlobBytes = Math.min(
    o.maxBlobBytes ?? d.maxBlobBytes ?? network.maxBlobBytes,
    network.maxBlobBytes,
    bytesPerSecond > 0 ? burstBytes : Number.POSITIVE_INFINITY,
  );
  return {
    bytesPerSecond,
    burstBytes,
    maxBlobBytes,
    retention: {
      ...network.retention,
      maxSeconds: o.maxRetentionSeconds ?? d.maxRetentionSeconds ?? network.retention.maxSeconds,
    },
  };
}

/** `limitsFor` bound to the config: what the disperser's validation asks for each request. */
export function limitsResolver(
  quotas: QuotaOptions,
  network: { maxBlobBytes: number; retention: RetentionLimits },
): (account: Uint8Array) => AccountLimits {
  const overrides = indexOverrides(quotas.accounts);
  return (account) => limitsFor(account, quotas, overrides, network);
}
