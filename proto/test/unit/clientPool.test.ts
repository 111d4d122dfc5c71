import { describe, expect, it } from "vitest";
import { ClientPool } from "../../src/clientPool.ts";
import { StorageShard } from "../../src/gen/tributary/storage/v1/storage_pb.ts";

describe("ClientPool", () => {
  it("reuses one client per endpoint and reopens one dropped from the membership", () => {
    // Channels connect lazily: no server is needed until a call is made.
    const pool = new ClientPool(StorageShard);
    const a = pool.get("127.0.0.1:1");
    const b = pool.get("127.0.0.1:2");
    expect(pool.get("127.0.0.1:1")).toBe(a);
    pool.retainOnly(new Set(["127.0.0.1:2"]));
    expect(pool.get("127.0.0.1:2")).toBe(b);
    expect(pool.get("127.0.0.1:1")).not.toBe(a);
    pool.close();
    expect(pool.get("127.0.0.1:2")).not.toBe(b);
    pool.close();
  });
});
