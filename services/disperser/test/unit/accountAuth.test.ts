import { accountOf, signBlobKey } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { accountKey, limitsResolver } from "../../src/accountLimits.ts";
import { type AuthInput, checkFreshness, validateAuth } from "../../src/authChecks.ts";
import { DisperserError } from "../../src/errors.ts";
import { validateDisperseRequest } from "../../src/requestValidation.ts";

const secretKey = new Uint8Array(32).fill(0x46);
const account = accountOf(secretKey);
const signedKey = new Uint8Array(32).fill(7);
const auth: AuthInput = {
  account,
  nonce: 5n,
  timestampMs: 1_764_000_000_000n,
  epoch: 3n,
  signature: signBlobKey(secretKey, signedKey),
  blobKey: signedKey,
};
const network = {
  maxBlobBytes: 1000,
  retention: { minSeconds: 60, maxSeconds: 3600, allowPermanent: false },
};
const quotas = {
  default: { bytesPerSecond: 100, burstBytes: 500 },
  accounts: {
    [`0x${Buffer.from(account).toString("hex").toUpperCase()}`]: {
      maxRetentionSeconds: 7200,
      burstBytes: 5000,
    },
  },
};
const limitsFor = limitsResolver(quotas, network);

function failure(fn: () => unknown): DisperserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DisperserError);
    return err as DisperserError;
  }
  throw new Error("expected a failure");
}

describe("AccountAuth shape", () => {
  it("accepts a well-formed auth and converts its numbers", () => {
    expect(validateAuth(auth)).toMatchObject({ nonce: 5n, timestampMs: 1_764_000_000_000, epoch: 3 });
  });
  it("rejects a malformed or anonymous account (INVALID_ARGUMENT) and a malformed signature (UNAUTHENTICATED)", () => {
    expect(failure(() => validateAuth({ ...auth, account: account.subarray(1) })).kind).toBe(
      "invalid_argument",
    );
    expect(failure(() => validateAuth({ ...auth, account: new Uint8Array(20) })).message).toMatch(
      /anonymous/,
    );
    const sig = failure(() => validateAuth({ ...auth, signature: auth.signature.subarray(0, 64) }));
    expect(sig.kind).toBe("unauthenticated");
    expect(sig.code).toBe("DISPERSER_ERROR_SIGNATURE_INVALID");
    expect(failure(() => validateAuth({ ...auth, epoch: 2n ** 60n })).kind).toBe("invalid_argument");
  });
});

describe("replay window and epoch", () => {
  const valid = validateAuth(auth);
  const ctx = {
    nowMs: 1_764_000_000_000,
    maxClockSkewMs: 60_000,
    membership: { current: { epoch: 3 } },
    epochGraceMs: 30_000,
  };
  it("checks the signature over the claimed blob key before anything else costs work", () => {
    const other = signBlobKey(new Uint8Array(32).fill(0x47), signedKey);
    expect(failure(() => validateAuth({ ...auth, signature: other })).kind).toBe("unauthenticated");
    expect(failure(() => validateAuth({ ...auth, blobKey: new Uint8Array(32).fill(8) })).kind).toBe(
      "unauthenticated",
    );
    expect(failure(() => validateAuth({ ...auth, blobKey: signedKey.subarray(1) })).kind).toBe(
      "invalid_argument",
    );
  });

  it("accepts timestamps within ±maxClockSkewMs of the clock", () => {
    checkFreshness(valid, { ...ctx, nowMs: ctx.nowMs + 60_000 });
    checkFreshness(valid, { ...ctx, nowMs: ctx.nowMs - 60_000 });
  });
  it("rejects timestamps outside the window with INVALID_ARGUMENT naming it", () => {
    for (const nowMs of [ctx.nowMs + 60_001, ctx.nowMs - 60_001]) {
      const err = failure(() => checkFreshness(valid, { ...ctx, nowMs }));
      expect(err.kind).toBe("invalid_argument");
      expect(err.code).toBe("DISPERSER_ERROR_TIMESTAMP_OUT_OF_WINDOW");
      expect(err.message).toMatch(/replay window of ±60000 ms/);
    }
  });
  it("rejects another epoch with FAILED_PRECONDITION, naming the current one in a trailer", () => {
    const err = failure(() => checkFreshness(valid, { ...ctx, membership: { current: { epoch: 4 } } }));
    expect(err.kind).toBe("failed_precondition");
    expect(err.type.trailers).toEqual({ "tributary-current-epoch": "4" });
  });
  it("accepts the previous epoch for epochGraceMs after the change, and not after", () => {
    const changed = (agoMs: number) => ({
      current: { epoch: 4 },
      previous: { membership: { epoch: 3 }, replacedAtMs: ctx.nowMs - agoMs },
    });
    checkFreshness(valid, { ...ctx, membership: changed(30_000) });
    expect(failure(() => checkFreshness(valid, { ...ctx, membership: changed(30_001) })).kind).toBe(
      "failed_precondition",
    );
  });
});

describe("per-account limits", () => {
  it("applies the defaults, capping the blob size by the burst and the network", () => {
    const other = limitsFor(new Uint8Array(20).fill(7));
    expect(other).toMatchObject({ bytesPerSecond: 100, burstBytes: 500, maxBlobBytes: 500 });
    expect(other.retention.maxSeconds).toBe(3600);
  });
  it("applies an override named in any case, field by field", () => {
    const mine = limitsFor(account);
    expect(mine).toMatchObject({ bytesPerSecond: 100, burstBytes: 5000, maxBlobBytes: 1000 });
    expect(mine.retention.maxSeconds).toBe(7200);
    expect(accountKey(account)).toBe("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  });
  it("validates a signed request against its account's limits", () => {
    const opts = { preset: "devnet" as const, allowAnonymous: false, limitsFor };
    const input = {
      data: new Uint8Array(800),
      namespace: Uint8Array.from([1, ...new Uint8Array(15)]),
      retentionSeconds: 7200n,
      preset: "",
      auth,
    };
    const v = validateDisperseRequest(input, opts);
    expect(v.account).toEqual(account);
    expect(v.nonce).toBe(5n);
    expect(v.auth?.epoch).toBe(3);
    // The same blob anonymously: over the default's size and retention limits.
    const anonymous = { ...input, auth: undefined };
    expect(failure(() => validateDisperseRequest(anonymous, { ...opts, allowAnonymous: true })).code).toBe(
      "DISPERSER_ERROR_BLOB_TOO_LARGE",
    );
    expect(
      failure(() =>
        validateDisperseRequest(
          { ...anonymous, data: new Uint8Array(10) },
          { ...opts, allowAnonymous: true },
        ),
      ).message,
    ).toMatch(/retention above the account's limit of 3600 seconds/);
  });
});
