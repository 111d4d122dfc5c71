import { describe, expect, it } from "vitest";
import { SampleReportBook } from "../../src/sampleReportBook.ts";

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
