/**
 * Authenticated dispersal end to end through the Disperser and a real Encoder (loopback gRPC,
 * real Redis and JetStream, TEST-ONLY in-memory storage shards; see ../support/disperserHarness.ts):
 * signatures, the replay window, nonces, per-account token buckets and anonymous refusal, each
 * with its gRPC status. Accounts are fresh keys per run; the harness deletes every Redis key
 * it wrote.
 */
import { randomBytes } from "node:crypto";
import { Code } from "@tributary/proto";
import { BlobStatus } from "@tributary/proto/tributary/common/v1/blob";
import {
  accountOf,
  newAccountSecretKey,
  type SignedSubmission,
  signBlobKey,
  signSubmission,
} from "@tributary/protocol";
import { blobStatusKey, getErrorCode } from "@tributary/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKey } from "../../src/accountLimits.ts";
import { REQUEST_KEY_PREFIX } from "../../src/dispersal.ts";
import { computeRequestId } from "../../src/requestValidation.ts";
import { type DisperserHarness, NO_QUOTA, rpcError, startDisperser } from "../support/disperserHarness.ts";

const namespace = Uint8Array.from([0x5b, ...randomBytes(15)]);
const RETENTION = 3600;
const limitedKey = newAccountSecretKey();
// The bucket: 300 kB, refilled at 100 kB/s. Two 250 kB blobs back to back leave the second
// 200 kB short, a 2 s wait, long enough that a slow first dispersal cannot refill it.
const RATE = 100_000;
const BURST = 300_000;
const BLOB = 250_000;

describe("Authenticated dispersal (AccountAuth)", () => {
  let h: DisperserHarness;
  let nonce = BigInt(Date.now()) * 1000n;

  function sign(
    secretKey: Uint8Array,
    data: Uint8Array,
    over: { nonce?: bigint; timestampMs?: number; epoch?: number } = {},
  ): SignedSubmission {
    return signSubmission(secretKey, data, {
      preset: "devnet",
      namespace,
      nonce: over.nonce ?? nonce++,
      timestampMs: over.timestampMs ?? Date.now(),
      retentionSeconds: RETENTION,
      epoch: over.epoch ?? h.epoch,
    });
  }

  /** Sends `signed` (optionally with another signature) and tracks the Redis keys it may create. */
  async function send(data: Uint8Array, signed: SignedSubmission, signature = signed.signature) {
    const requestId = computeRequestId({
      data,
      namespace,
      account: signed.account,
      nonce: signed.header.nonce,
      retentionSeconds: RETENTION,
      preset: "devnet",
    });
    h.track(REQUEST_KEY_PREFIX + Buffer.from(requestId).toString("hex"));
    h.track(blobStatusKey(signed.blobKey));
    return h.client.disperseBlob({
      data,
      namespace,
      retentionSeconds: BigInt(RETENTION),
      auth: {
        account: signed.account,
        nonce: signed.header.nonce,
        timestampMs: BigInt(signed.header.timestampMs),
        epoch: BigInt(signed.header.epoch),
        signature,
        blobKey: signed.blobKey,
      },
    });
  }

  const storeCalls = () => h.shards.reduce((n, s) => n + s.storeCalls, 0);

  beforeAll(async () => {
    h = await startDisperser({
      allowAnonymous: false,
      quotas: {
        default: NO_QUOTA.default,
        accounts: { [accountKey(accountOf(limitedKey))]: { bytesPerSecond: RATE, burstBytes: BURST } },
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("refuses anonymous submissions with UNAUTHENTICATED when they are not enabled", async () => {
    const err = await rpcError(
      h.client.disperseBlob({ data: randomBytes(100), namespace, retentionSeconds: BigInt(RETENTION) }),
    );
    expect(err.code).toBe(Code.UNAUTHENTICATED);
    expect(err.message).toMatch(/authentication required/);
    expect(getErrorCode(err)).toBe("DISPERSER_ERROR_AUTH_REQUIRED");
  });

  it("accepts a signed dispersal under the key the client signed, and an exact retry returns it again", async () => {
    const key = newAccountSecretKey();
    const data = randomBytes(50_000);
    const signed = sign(key, data);
    const res = await send(data, signed);
    expect(res.status).toBe(BlobStatus.ENCODED);
    expect(res.blobKey).toEqual(signed.blobKey);
    expect(res.header?.account).toEqual(accountOf(key));
    expect(res.header?.timestampMs).toBe(BigInt(signed.header.timestampMs));
    const calls = storeCalls();
    const again = await send(data, signed);
    expect(again.blobKey).toEqual(res.blobKey);
    expect(storeCalls()).toBe(calls);
  });

  it("rejects a nonce reused for other content with ALREADY_EXISTS", async () => {
    const key = newAccountSecretKey();
    const first = randomBytes(1000);
    const signed = sign(key, first);
    await send(first, signed);
    const other = randomBytes(1000);
    const replay = sign(key, other, { nonce: signed.header.nonce });
    const err = await rpcError(send(other, replay));
    expect(err.code).toBe(Code.ALREADY_EXISTS);
    expect(err.message).toMatch(/nonce already used/);
  });

  it("lets exactly one of two concurrent requests with the same nonce and other content through", async () => {
    const key = newAccountSecretKey();
    const [a, b] = [randomBytes(5000), randomBytes(5000)];
    const signedA = sign(key, a);
    const signedB = sign(key, b, { nonce: signedA.header.nonce });
    const results = await Promise.allSettled([send(a, signedA), send(b, signedB)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect((rejected.reason as { code: number }).code).toBe(Code.ALREADY_EXISTS);
  });

  it("rejects a wrong signature and a signature by another key with UNAUTHENTICATED, storing nothing", async () => {
    const key = newAccountSecretKey();
    const data = randomBytes(20_000);
    const signed = sign(key, data);
    const calls = storeCalls();
    const flipped = signed.signature.slice();
    flipped[5]! ^= 0x01;
    const wrong = await rpcError(send(data, signed, flipped));
    expect(wrong.code).toBe(Code.UNAUTHENTICATED);
    expect(getErrorCode(wrong)).toBe("DISPERSER_ERROR_SIGNATURE_INVALID");
    const byOther = await rpcError(send(data, signed, signBlobKey(newAccountSecretKey(), signed.blobKey)));
    expect(byOther.code).toBe(Code.UNAUTHENTICATED);
    expect(storeCalls()).toBe(calls);
    // A forged attempt neither burns the account's nonce nor its quota: the real one passes.
    const res = await send(data, signed);
    expect(res.blobKey).toEqual(signed.blobKey);
  });

  it("refuses data that does not hash to the signed blob key, storing nothing", async () => {
    const key = newAccountSecretKey();
    const signed = sign(key, randomBytes(20_000));
    const calls = storeCalls();
    const err = await rpcError(send(randomBytes(20_000), signed));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toMatch(/does not hash to the expected blob key/);
    expect(storeCalls()).toBe(calls);
  });

  it("rejects a timestamp outside the replay window (INVALID_ARGUMENT) and a stale epoch (FAILED_PRECONDITION)", async () => {
    const key = newAccountSecretKey();
    const data = randomBytes(100);
    for (const timestampMs of [Date.now() - 61_000, Date.now() + 61_000]) {
      const err = await rpcError(send(data, sign(key, data, { timestampMs })));
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
      expect(err.message).toMatch(/replay window/);
    }
    const stale = await rpcError(send(data, sign(key, data, { epoch: h.epoch + 1 })));
    expect(stale.code).toBe(Code.FAILED_PRECONDITION);
    expect(stale.metadata.get("tributary-current-epoch")).toEqual([String(h.epoch)]);
  });

  it("enforces the account's token bucket: RESOURCE_EXHAUSTED with retry-after-ms, then it refills", async () => {
    const first = randomBytes(BLOB);
    await send(first, sign(limitedKey, first));
    const second = randomBytes(BLOB);
    const err = await rpcError(send(second, sign(limitedKey, second)));
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
    const retryAfterMs = Number(err.metadata.get("retry-after-ms")[0]);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(2000);
    // A blob larger than the burst can never pass: refused as too large, not rate-limited.
    const huge = await rpcError(send(randomBytes(BURST + 1), sign(limitedKey, new Uint8Array(1))));
    expect(huge.code).toBe(Code.INVALID_ARGUMENT);
    await new Promise((r) => setTimeout(r, retryAfterMs + 50));
    const res = await send(second, sign(limitedKey, second));
    expect(res.status).toBe(BlobStatus.ENCODED);
  });
});
