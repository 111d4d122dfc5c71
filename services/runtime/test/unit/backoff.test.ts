import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "../../src/backoff.ts";

describe("backoffDelayMs", () => {
  it("grows exponentially up to the cap, with full jitter", () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(0, 100, 5000, top)).toBe(99);
    expect(backoffDelayMs(3, 100, 5000, top)).toBe(799);
    expect(backoffDelayMs(50, 100, 5000, top)).toBe(4999);
    expect(backoffDelayMs(5, 100, 5000, () => 0)).toBe(0);
  });
});
