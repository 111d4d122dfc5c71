import { createHash, randomBytes } from "node:crypto";
import { columnHolderIndices } from "@tributary/protocol";
import { BLOB_STATUSES } from "@tributary/runtime";
import { describe, expect, it } from "vitest";
import { testEpoch } from "../../../encoder/test/support/testEpoch.ts";
import { limitsResolver, type QuotaOptions } from "../../src/accountLimits.ts";
import { statusResponseOf } from "../../src/blobStatusResponse.ts";
import { orderHolders, planColumnFetches } from "../../src/columnPlan.ts";
import { DisperserError } from "../../src/errors.ts";
import { scoreRange } from "../../src/namespaceIndex.ts";
import {
  computeRequestId,
  type ValidationOptions,
  validateDisperseRequest,
} from "../../src/requestValidation.ts";

const network = {
  maxBlobBytes: 1024,
  retention: { minSeconds: 60, maxSeconds: 3600, allowPermanent: false },
};
const noQuota = { default: { bytesPerSecond: 0, burstBytes: 1 }, accounts: {} };
function optsWith(net = network, quotas: QuotaOptions = noQuota, allowAnonymous = true): ValidationOptions {
  return { preset: "devnet", allowAnonymous, limitsFor: limitsResolver(quotas, net) };
}
const opts = optsWith();
const ns = Uint8Array.from([0x10, ...new Uint8Array(15)]);
const input = {
  data: new Uint8Array(10),
  namespace: ns,
  retentionSeconds: 600n,
  preset: "",
  auth: undefined,
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DisperserError);
    const e = err as DisperserError;
    return `${e.code}/${e.kind}: ${e.message}`;
  }
  return "ok";
}

describe("validateDisperseRequest", () => {
  it("accepts a valid anonymous request", () => {
    const v = validateDisperseRequest(input, opts);
    expect(v.account).toEqual(new Uint8Array(20));
    expect(v.nonce).toBe(0n);
    expect(v.preset).toBe("devnet");
  });
  it("rejects sizes outside 1..max, naming the limit", () => {
    expect(codeOf(() => validateDisperseRequest({ ...input, data: new Uint8Array() }, opts))).toMatch(
      /BLOB_EMPTY\/invalid_argument/,
    );
    expect(codeOf(() => validateDisperseRequest({ ...input, data: new Uint8Array(1025) }, opts))).toMatch(
      /BLOB_TOO_LARGE\/too_large: .*maximum blob size of 1024 bytes/,
    );
  });
  it("rejects malformed and reserved namespaces", () => {
    for (const n of [
      new Uint8Array(),
      new Uint8Array(15),
      new Uint8Array(16),
      Uint8Array.from([0xff, ...ns.slice(1)]),
    ]) {
      expect(codeOf(() => validateDisperseRequest({ ...input, namespace: n }, opts))).toMatch(
        /INVALID_NAMESPACE\/invalid_argument/,
      );
    }
  });
  it("enforces retention limits", () => {
    expect(codeOf(() => validateDisperseRequest({ ...input, retentionSeconds: 3601n }, opts))).toMatch(
      /INVALID_RETENTION\/invalid_argument: retention above the account's limit/,
    );
    expect(codeOf(() => validateDisperseRequest({ ...input, retentionSeconds: 2n ** 63n }, opts))).toMatch(
      /above/,
    );
    expect(codeOf(() => validateDisperseRequest({ ...input, retentionSeconds: 59n }, opts))).toMatch(
      /between 60 and 3600/,
    );
    expect(codeOf(() => validateDisperseRequest({ ...input, retentionSeconds: 0n }, opts))).toMatch(
      /permanent/,
    );
    expect(
      validateDisperseRequest(
        { ...input, retentionSeconds: 0n },
        optsWith({ ...network, retention: { ...network.retention, allowPermanent: true } }),
      ).retentionSeconds,
    ).toBe(0);
  });
  it("refuses anonymous submissions unless enabled, and foreign presets", () => {
    expect(codeOf(() => validateDisperseRequest(input, optsWith(network, noQuota, false)))).toMatch(
      /AUTH_REQUIRED\/unauthenticated: authentication required/,
    );
    expect(codeOf(() => validateDisperseRequest({ ...input, preset: "mainnet" }, opts))).toMatch(
      /INVALID_REQUEST/,
    );
  });
});

describe("computeRequestId", () => {
  it("is SHA-256(namespace || account || nonce BE || SHA-256(data) || retention BE || preset)", () => {
    const v = validateDisperseRequest(input, opts);
    const u64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return b;
    };
    const expected = createHash("sha256")
      .update(ns)
      .update(new Uint8Array(20))
      .update(u64(0n))
      .update(createHash("sha256").update(v.data).digest())
      .update(u64(600n))
      .update("devnet")
      .digest();
    expect(Buffer.from(computeRequestId(v))).toEqual(expected);
    const other = validateDisperseRequest({ ...input, retentionSeconds: 601n }, opts);
    expect(computeRequestId(other)).not.toEqual(computeRequestId(v));
  });
});

describe("column selection for retrieval", () => {
  const epoch = testEpoch({
    epoch: 1,
    replication: 2,
    shards: ["s0", "s1", "s2", "s3"].map((id, i) => ({ id, endpoint: `127.0.0.1:${17200 + i}` })),
  });
  it("lists every column once, systematic half first, with its assigned holders", () => {
    const key = randomBytes(32);
    const plan = planColumnFetches(epoch, key, 8);
    expect(plan.map((p) => p.column)).toEqual([...Array(16).keys()]);
    const table = columnHolderIndices(epoch, key, 16);
    for (const p of plan) expect(p.holders).toEqual([table[p.column * 2], table[p.column * 2 + 1]]);
  });
  it("tries holders that already failed last", () => {
    expect(orderHolders([3, 1, 2], new Set([3]))).toEqual([1, 2, 3]);
    expect(orderHolders([3, 1], new Set())).toEqual([3, 1]);
  });
});

describe("namespace index scores", () => {
  it("maps (height, index) ranges to score bounds", () => {
    expect(scoreRange({ fromHeight: 2n, toHeight: 0n, fromIndex: 3 })).toEqual([
      String(2 * 2 ** 20 + 3),
      "+inf",
    ]);
    expect(scoreRange({ fromHeight: 1n, toHeight: 1n, fromIndex: 0 })).toEqual([
      String(2 ** 20),
      String(2 * 2 ** 20 - 1),
    ]);
  });
});

describe("statusResponseOf", () => {
  it("reports failure, timestamps oldest first and leaves unreached fields unset", () => {
    const r = statusResponseOf({
      status: "FAILED",
      fields: {
        status: "FAILED",
        failureCode: "X_ERROR",
        failureMessage: "m",
        "t.QUEUED": "5",
        "t.FAILED": "9",
        "t.ENCODED": "7",
      },
    });
    expect(r.failure).toEqual({ code: "X_ERROR", message: "m" });
    expect(r.statusTimes?.map((t) => t.atMs)).toEqual([5n, 7n, 9n]);
    expect(r.certificate).toBeUndefined();
    expect(r.expiresAtMs).toBeUndefined();
    expect(BLOB_STATUSES).toContain("FAILED");
  });
});
