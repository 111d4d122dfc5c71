import {
  batchSigningMessage,
  blobKey,
  type EpochMembership,
  sign,
  verifyCertificate,
} from "@tributary/protocol";
import { createLogger } from "@tributary/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { type BatchPlan, planBatch } from "../../src/batchPlan.ts";
import { type BatchSigner, certifyBatch } from "../../src/certifier.ts";
import { SignatureCollector } from "../../src/signatureCollector.ts";
import { type KeyedMember, keyedMember, testEpoch, testHeader } from "../support/fixtures.ts";

const logger = createLogger({ service: "test", level: "silent" });
const fast = { signTimeoutMs: 200, certificateTimeoutMs: 600, retryIntervalMs: 50 };

/** A BatchSigner without sockets: each shard signs, refuses, or signs garbage. */
function fakeSigner(
  keys: readonly KeyedMember[],
  behaviour: (shardIndex: number, call: number) => "sign" | "refuse" | "garbage",
): BatchSigner & { calls: number[] } {
  const calls = keys.map(() => 0);
  return {
    calls,
    async signBatch(plan, request) {
      const n = calls[request.shardIndex]!++;
      const b = behaviour(request.shardIndex, n);
      if (b === "refuse") throw new Error("refused");
      const message = batchSigningMessage(plan.header);
      return b === "sign"
        ? sign(keys[request.shardIndex]!.secretKey, message)
        : sign(keyedMember("x").secretKey, message);
    },
  };
}

describe("batch plan, signature collection and certification", () => {
  let keys: KeyedMember[];
  let epoch: EpochMembership;
  let plan: BatchPlan;

  beforeAll(() => {
    keys = [0, 1, 2].map((i) => keyedMember(`storage-${i}`));
    epoch = testEpoch(
      7,
      keys.map((k, i) => ({ ...k, endpoint: `127.0.0.1:${17400 + i}` })),
      { replication: 2 },
    );
    const blobs = [testHeader(7, 500), testHeader(7, 3000), testHeader(7, 10)].map((header) => ({
      header,
      blobKey: blobKey(header),
    }));
    plan = planBatch(epoch, blobs, "attester-test", 1_700_000_000_000);
  });

  it("plans one request per shard listing every blob, with each column held by `replication` shards", () => {
    expect(plan.header.blobCount).toBe(3);
    expect(plan.requests.map((r) => r.shardId)).toEqual(["storage-0", "storage-1", "storage-2"]);
    for (const [i, blob] of plan.blobs.entries()) {
      const counts = new Array(2 * blob.header.k).fill(0);
      for (const r of plan.requests) {
        expect(r.blobs[i]!.blobKey).toEqual(blob.blobKey);
        for (const c of r.blobs[i]!.columns) counts[c]++;
      }
      expect(counts.every((c) => c === 2)).toBe(true);
    }
    expect(() => planBatch(epoch, [{ ...plan.blobs[0]!, header: testHeader(8) }], "a", 1)).toThrow();
  });

  it("collector drops a bad signature at the threshold and certifies once 2/3 of the weight signed", () => {
    const c = new SignatureCollector(epoch, plan.header, plan.certifiedBlobs);
    const message = batchSigningMessage(plan.header);
    // Shard 0 signs with shard 1's key: not checked until the weight makes a certificate.
    expect(c.offer(0, sign(keys[1]!.secretKey, message))).toBe("accepted");
    expect(c.offer(0, sign(keys[0]!.secretKey, message))).toBe("duplicate");
    expect(c.tryCertificate()).toEqual({ certificate: undefined, invalid: [] });
    expect(c.offer(2, sign(keys[2]!.secretKey, message))).toBe("accepted");
    // 2 of 3 signed: the aggregate fails, the one-by-one check finds shard 0 and drops it.
    expect(c.tryCertificate()).toEqual({ certificate: undefined, invalid: [0] });
    expect(c.missing()).toEqual([0, 1]);
    expect(c.offer(0, sign(keys[0]!.secretKey, message))).toBe("accepted");
    const { certificate, invalid } = c.tryCertificate();
    expect(invalid).toEqual([]);
    expect(certificate).toBeDefined();
    expect(verifyCertificate(certificate!, epoch, plan.certifiedBlobs).ok).toBe(true);
  });

  it("collector drops a signature that is not a curve point", () => {
    const c = new SignatureCollector(epoch, plan.header, plan.certifiedBlobs);
    const message = batchSigningMessage(plan.header);
    c.offer(0, sign(keys[0]!.secretKey, message));
    c.offer(1, new Uint8Array(96).fill(0xab));
    expect(c.tryCertificate()).toEqual({ certificate: undefined, invalid: [1] });
    expect(c.signerCount).toBe(1);
  });

  it("certifies with one of three shards down (2/3 of the weight)", async () => {
    const signer = fakeSigner(keys, (i) => (i === 0 ? "refuse" : "sign"));
    const result = await certifyBatch(plan, epoch, fast, { signer, logger });
    expect(result.ok).toBe(true);
    if (result.ok) expect(verifyCertificate(result.certificate, epoch, plan.certifiedBlobs).ok).toBe(true);
  });

  it("retries missing shards until they sign", async () => {
    // Shard 1 refuses on its first call, shard 2 always refuses: round 2 makes the threshold.
    const signer = fakeSigner(keys, (i, call) => (i === 2 || (i === 1 && call === 0) ? "refuse" : "sign"));
    const result = await certifyBatch(plan, epoch, fast, { signer, logger });
    expect(result.ok).toBe(true);
    expect(result.rounds).toBeGreaterThanOrEqual(2);
    expect(signer.calls[0]).toBe(1); // a shard that signed is not asked again
  });

  it("gives up below the threshold after the timeout", async () => {
    const signer = fakeSigner(keys, (i) => (i === 0 ? "sign" : i === 1 ? "garbage" : "refuse"));
    const started = Date.now();
    const result = await certifyBatch(plan, epoch, fast, { signer, logger });
    expect(result.ok).toBe(false);
    expect(result.signers).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(fast.certificateTimeoutMs - 10);
  });
});
