import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { isStatefulSetReady } from "../../src/kubeActuator.ts";
import { isRetryableKubeError, kubeRetryConfigSchema, withKubeRetry } from "../../src/kubeRetry.ts";

const api = (code: number) => new ApiException(code, `HTTP ${code}`, {}, {});
const refused = () =>
  new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });

describe("isRetryableKubeError", () => {
  it("retries outages (no connection, 5xx, 429), not answers (404, 409, 422)", () => {
    expect(isRetryableKubeError(refused())).toBe(true);
    expect(isRetryableKubeError(api(503))).toBe(true);
    expect(isRetryableKubeError(api(429))).toBe(true);
    for (const code of [400, 403, 404, 409, 422])
      expect(isRetryableKubeError(api(code)), String(code)).toBe(false);
    expect(isRetryableKubeError(new Error("boom"))).toBe(false);
  });
});

describe("withKubeRetry", () => {
  const config = kubeRetryConfigSchema.parse({
    baseMs: 1,
    maxMs: 2,
    giveUpAfterMs: 5_000,
    forbiddenGiveUpAfterMs: 50,
  });

  it("retries until the call succeeds", async () => {
    let calls = 0;
    const value = await withKubeRetry(async () => {
      if (++calls < 4) throw calls % 2 === 0 ? api(500) : refused();
      return "ok";
    }, config);
    expect([value, calls]).toEqual(["ok", 4]);
  });

  it("hands a 404 to the caller at once", async () => {
    let calls = 0;
    await expect(
      withKubeRetry(async () => {
        calls++;
        throw api(404);
      }, config),
    ).rejects.toMatchObject({ code: 404 });
    expect(calls).toBe(1);
  });

  it("retries 403 only for the short forbidden window (RBAC cache after a restart)", async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      withKubeRetry(async () => {
        calls++;
        throw api(403);
      }, config),
    ).rejects.toMatchObject({ code: 403 });
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("isStatefulSetReady", () => {
  const sts = (
    spec: number,
    status: { replicas?: number; readyReplicas?: number; observedGeneration?: number },
  ) => ({
    metadata: { generation: 3 },
    spec: { replicas: spec, selector: {}, serviceName: "s", template: {} },
    status: { replicas: 0, ...status },
  });
  it("needs the spec asked for, the generation observed, and all replicas ready", () => {
    expect(isStatefulSetReady(sts(3, { replicas: 3, readyReplicas: 3, observedGeneration: 3 }), 3)).toBe(
      true,
    );
    expect(isStatefulSetReady(sts(3, { replicas: 3, readyReplicas: 2, observedGeneration: 3 }), 3)).toBe(
      false,
    );
    expect(isStatefulSetReady(sts(3, { replicas: 3, readyReplicas: 3, observedGeneration: 2 }), 3)).toBe(
      false,
    );
    expect(isStatefulSetReady(sts(2, { replicas: 2, readyReplicas: 2, observedGeneration: 3 }), 3)).toBe(
      false,
    );
    // Scale-down: ready only once the removed pods are gone.
    expect(isStatefulSetReady(sts(1, { replicas: 2, readyReplicas: 1, observedGeneration: 3 }), 1)).toBe(
      false,
    );
    expect(isStatefulSetReady(sts(0, { observedGeneration: 3 }), 0)).toBe(true);
  });
});
