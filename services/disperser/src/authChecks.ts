/**
 * AccountAuth checks the disperser makes before any work (disperser.proto AccountAuth): the
 * fields' shape, the signature over the blob key the client claims, the replay window and the
 * epoch. Pure. The encoder, the only one that computes the data root, then checks that the data
 * hashes to that key before it stores anything; the nonce and the quota live in Redis
 * (nonceRegistry.ts, tokenBucket.ts).
 */
import {
  ACCOUNT_BYTES,
  ACCOUNT_SIGNATURE_BYTES,
  bytesEqual,
  isAnonymousAccount,
  recoverAccount,
} from "@tributary/protocol";
import { acceptedEpoch, type ReplacedEpoch } from "@tributary/runtime";
import { DisperserErrorCode, disperserError } from "./errors.ts";

/** AccountAuth as received. */
export interface AuthInput {
  readonly account: Uint8Array;
  readonly nonce: bigint;
  readonly timestampMs: bigint;
  readonly epoch: bigint;
  readonly signature: Uint8Array;
  readonly blobKey: Uint8Array;
}

/** AccountAuth whose fields have the right shape and whose signature recovers its account. */
export interface ValidAuth {
  readonly account: Uint8Array;
  readonly nonce: bigint;
  readonly timestampMs: number;
  readonly epoch: number;
  readonly signature: Uint8Array;
  /** The blob key the account signed; the encoder checks the data hashes to it. */
  readonly blobKey: Uint8Array;
}

/** Trailer naming the current epoch when a request's epoch is stale. */
export const CURRENT_EPOCH_TRAILER = "tributary-current-epoch";

export function validateAuth(auth: AuthInput): ValidAuth {
  const invalid = (message: string) =>
    disperserError(DisperserErrorCode.invalidRequest, "invalid_argument", `auth: ${message}`);
  if (auth.account.length !== ACCOUNT_BYTES) {
    throw invalid(`account must be ${ACCOUNT_BYTES} bytes, got ${auth.account.length}`);
  }
  if (isAnonymousAccount(auth.account)) {
    throw invalid("the all-zero account is the anonymous one; omit auth to submit anonymously");
  }
  if (auth.signature.length !== ACCOUNT_SIGNATURE_BYTES) {
    throw disperserError(
      DisperserErrorCode.signatureInvalid,
      "unauthenticated",
      `auth: signature must be ${ACCOUNT_SIGNATURE_BYTES} bytes (r || s || v), got ${auth.signature.length}`,
    );
  }
  if (auth.blobKey.length !== 32) throw invalid(`blob_key must be 32 bytes, got ${auth.blobKey.length}`);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (auth.timestampMs > max) throw invalid("timestamp_ms is out of range");
  if (auth.epoch > max) throw invalid("epoch is out of range");
  const signer = recoverAccount(auth.blobKey, auth.signature);
  if (signer === undefined || !bytesEqual(signer, auth.account)) {
    throw disperserError(
      DisperserErrorCode.signatureInvalid,
      "unauthenticated",
      "auth: the signature over blob_key does not recover the account",
    );
  }
  return {
    account: auth.account,
    nonce: auth.nonce,
    timestampMs: Number(auth.timestampMs),
    epoch: Number(auth.epoch),
    signature: auth.signature,
    blobKey: auth.blobKey,
  };
}

export type FreshnessContext = {
  nowMs: number;
  maxClockSkewMs: number;
  /** The current epoch and the one it replaced (runtime's MembershipView). */
  membership: {
    readonly current: { readonly epoch: number };
    readonly previous?: ReplacedEpoch<{ readonly epoch: number }> | undefined;
  };
  /** How long after an epoch change requests for the previous epoch are still accepted. */
  epochGraceMs: number;
};

/**
 * The replay window (|timestamp - now| <= maxClockSkewMs, INVALID_ARGUMENT) and the epoch
 * (the current one, or the previous one for epochGraceMs after the change; FAILED_PRECONDITION
 * naming the current one in a trailer otherwise).
 */
export function checkFreshness(auth: ValidAuth, ctx: FreshnessContext): void {
  const skew = auth.timestampMs - ctx.nowMs;
  if (Math.abs(skew) > ctx.maxClockSkewMs) {
    throw disperserError(
      DisperserErrorCode.timestampOutOfWindow,
      "invalid_argument",
      `auth timestamp_ms ${auth.timestampMs} is ${Math.abs(skew)} ms ${skew < 0 ? "behind" : "ahead of"} the disperser's clock, outside the replay window of ±${ctx.maxClockSkewMs} ms`,
      { timestampMs: auth.timestampMs, nowMs: ctx.nowMs, maxClockSkewMs: ctx.maxClockSkewMs },
    );
  }
  const currentEpoch = ctx.membership.current.epoch;
  if (acceptedEpoch(auth.epoch, ctx.membership, ctx.nowMs, ctx.epochGraceMs) === undefined) {
    throw disperserError(
      DisperserErrorCode.staleEpoch,
      "failed_precondition",
      `auth names epoch ${auth.epoch} but the current epoch is ${currentEpoch}; rebuild the header for epoch ${currentEpoch} and sign again`,
      {
        requested: auth.epoch,
        current: currentEpoch,
        trailers: { [CURRENT_EPOCH_TRAILER]: String(currentEpoch) },
      },
    );
  }
}
