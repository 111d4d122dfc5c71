import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/lifecycleService.ts", import.meta.url));

type Run = { code: number | null; lines: Record<string, unknown>[] };

/** Runs the fixture; sends `signal` once it logs "Fixture ready" (if given). */
function runFixture(scenario: string, signal?: NodeJS.Signals): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, scenario], { stdio: ["ignore", "pipe", "inherit"] });
    const lines: Record<string, unknown>[] = [];
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += String(chunk);
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.msg === "Fixture ready" && signal) child.kill(signal);
        nl = buffer.indexOf("\n");
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, lines }));
  });
}

const closersRun = (run: Run) => run.lines.filter((l) => l.msg === "Closer ran").map((l) => l.closer);

describe("runService", () => {
  it("on SIGTERM aborts, runs closers in reverse order and exits 0", async () => {
    const run = await runFixture("ok", "SIGTERM");
    expect(run.code).toBe(0);
    expect(closersRun(run)).toEqual(["c", "b", "a"]);
    expect(run.lines.filter((l) => l.msg === "Closer ran").every((l) => l.aborted === true)).toBe(true);
    expect(run.lines.find((l) => l.msg === "Shutting down")).toMatchObject({
      reason: "SIGTERM",
      service: "fixture",
    });
  });

  it("on SIGINT does the same", async () => {
    const run = await runFixture("ok", "SIGINT");
    expect(run.code).toBe(0);
    expect(closersRun(run)).toEqual(["c", "b", "a"]);
  });

  it("exits 1 when start fails, after closing what was registered", async () => {
    const run = await runFixture("fail-start");
    expect(run.code).toBe(1);
    expect(closersRun(run)).toEqual(["a"]);
    expect(run.lines.find((l) => l.msg === "Service failed to start")).toMatchObject({ level: "fatal" });
  });

  it("treats an unhandled rejection as fatal: logs, closes, exits 1", async () => {
    const run = await runFixture("unhandled");
    expect(run.code).toBe(1);
    expect(run.lines.find((l) => l.msg === "Unhandled promise rejection")).toMatchObject({
      level: "fatal",
      err: { message: "boom" },
    });
    expect(closersRun(run)).toEqual(["c", "b", "a"]);
  });

  it("exits 1 when a closer throws, still running the others", async () => {
    const run = await runFixture("throwing-closer", "SIGTERM");
    expect(run.code).toBe(1);
    expect(closersRun(run)).toEqual(["b", "a"]);
  });

  it("exits 1 when closers miss the shutdown deadline", async () => {
    const run = await runFixture("hang", "SIGTERM");
    expect(run.code).toBe(1);
    expect(run.lines.find((l) => l.msg === "Shutdown deadline exceeded")).toMatchObject({
      pendingCloser: "c",
    });
  });
});
