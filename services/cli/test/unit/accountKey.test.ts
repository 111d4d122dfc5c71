import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountOf } from "@tributary/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { parseAccountKey, readAccountKey, writeNewAccountKey } from "../../src/accountKey.ts";

const dir = mkdtempSync(join(tmpdir(), "tributary-cli-key-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("account key files", () => {
  it("parses 64 hex digits, with or without 0x and whitespace", () => {
    const hex = "46".repeat(32);
    expect(parseAccountKey(`0x${hex}\n`, "k")).toEqual(new Uint8Array(32).fill(0x46));
    expect(parseAccountKey(`  ${hex.toUpperCase()} `, "k")).toEqual(new Uint8Array(32).fill(0x46));
  });
  it("refuses other content with one line naming the file", () => {
    expect(() => parseAccountKey("46".repeat(31), "me.key")).toThrow(/^me\.key: an account key file holds/);
    expect(() => parseAccountKey("00".repeat(32), "me.key")).toThrow(/not a valid secp256k1 secret key/);
  });
  it("writes a new key 0600, never overwrites, and reads it back", async () => {
    const file = join(dir, "a.key");
    const account = await writeNewAccountKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(accountOf(await readAccountKey(file))).toEqual(account);
    await expect(writeNewAccountKey(file)).rejects.toThrow(/exists; not overwriting/);
    expect(readFileSync(file, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    await expect(readAccountKey(join(dir, "missing.key"))).rejects.toThrow(/cannot read key file .*ENOENT/);
  });
});
