import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SampleReportBook } from "../../src/sampleReportBook.ts";
import { encodeSampleReport } from "../../src/sampleReportCodec.ts";

/** Known-answer vector, identical in services/sampler/test/unit/reportCodec.test.ts. */
const VECTOR_REPORT = {
  blobKey: new Uint8Array(32).map((_, i) => i),
  epoch: 7n,
  samples: 24,
  failedCells: [{ row: 3, column: 9, code: "SAMPLER_ERROR_PROOF_INVALID" }],
  passed: false,
  confidence: 0.5,
  samplerId: "sampler-0",
  sampledAtMs: 1_700_000_000_123n,
};
const VECTOR_SHA256 = "3b81b7230687fe57ab1b70b5b8e878ffa1fc6c51e9fefecba547a0ea58a3895d";

describe("sample report canonical bytes (shared with the sampler)", () => {
  it("matches the known-answer vector", () => {
    const bytes = encodeSampleReport(VECTOR_REPORT);
    expect(Buffer.from(bytes.subarray(0, 26)).toString("ascii")).toBe("TRIBUTARY/SAMPLE-REPORT/v1");
    expect(bytes.length).toBe(26 + 32 + 8 + 4 + 4 + (9 + 27) + 1 + 8 + 1 + 9 + 8);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(VECTOR_SHA256);
  });
});

describe("sample report book", () => {
  it("resolves a waiter once every key passed; aborts cleanly", async () => {
    const book = new SampleReportBook();
    book.recordPassed("a");
    let done = false;
    const p = book.waitForPassed(["a", "b", "c"]).then(() => {
      done = true;
    });
    book.recordPassed("b");
    await Promise.resolve();
    expect(done).toBe(false);
    expect(book.awaited()).toBe(1);
    book.recordPassed("c");
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = book.waitForPassed(["z"], ac.signal);
    ac.abort(new Error("stop"));
    await expect(q).rejects.toThrow("stop");
    book.prune(Date.now() + 4_000_000);
    expect(book.hasPassed("a")).toBe(false);
  });
});
