import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write: (chunk, _enc, cb) => {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, destination };
}

describe("createLogger", () => {
  it("writes JSON lines with service, component, constant message and context", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: "storage-shard", level: "debug", destination });
    logger.child("store", { shard: 3 }).info("Stored column %s", { blobKey: "ab", column: 7 });
    logger.debug("Plain");
    logger.trace("Hidden");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: "info",
      service: "storage-shard",
      component: "store",
      shard: 3,
      blobKey: "ab",
      column: 7,
      // No printf interpolation: the message stays constant.
      msg: "Stored column %s",
    });
    expect(lines[1]).toMatchObject({ level: "debug", msg: "Plain" });
  });

  it("serializes errors under err with message and stack", () => {
    const { lines, destination } = capture();
    createLogger({ service: "x", destination }).error("Failed", {
      err: new Error("nope", { cause: "disk" }),
    });
    const err = lines[0]!.err as { type: string; message: string; stack: string };
    expect(err).toMatchObject({ type: "Error", message: "nope" });
    expect(err.stack).toContain("Error: nope");
  });
});
