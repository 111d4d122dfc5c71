import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, Metadata, RpcError } from "@tributary/proto";
import { accountOf, blobKey, recoverAccount, submissionHeader } from "@tributary/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { BlobStatus } from "../../src/blobStatus.ts";
import { disperse } from "../../src/commands/disperse.ts";
import type { DisperserClient } from "../../src/disperserClient.ts";
import type { Output } from "../../src/output.ts";

const dir = mkdtempSync(join(tmpdir(), "tributary-cli-disperse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Sent = {
  auth: { account: Uint8Array; nonce: bigint; timestampMs: bigint; epoch: bigint; signature: Uint8Array };
};

/**
 * A disperser stand-in on epoch `current`: it rebuilds the header from the request as the
 * encoder does, checks the signature, and answers a stale epoch as the real one does.
 */
function fakeDisperser(current: number, sent: Sent[]): DisperserClient {
  return {
    disperseBlob: async (
      req: Sent & { data: Uint8Array; namespace: Uint8Array; retentionSeconds: bigint },
    ) => {
      sent.push(req);
      if (Number(req.auth.epoch) !== current) {
        const metadata = new Metadata();
        metadata.set("tributary-current-epoch", String(current));
        throw new RpcError(Code.FAILED_PRECONDITION, "stale epoch", { metadata });
      }
      const header = submissionHeader(req.data, req.auth.account, {
        preset: "devnet",
        namespace: req.namespace,
        nonce: req.auth.nonce,
        timestampMs: Number(req.auth.timestampMs),
        retentionSeconds: Number(req.retentionSeconds),
        epoch: current,
      });
      const key = blobKey(header);
      expect(recoverAccount(key, req.auth.signature)).toEqual(req.auth.account);
      return {
        blobKey: key,
        status: BlobStatus.ENCODED,
        header: { account: header.account, nonce: header.nonce, epoch: BigInt(current) },
      };
    },
  } as unknown as DisperserClient;
}

function captureOutput(): Output & { results: Record<string, unknown>[] } {
  const results: Record<string, unknown>[] = [];
  return { json: true, results, result: (value) => results.push(value), note: () => undefined };
}

describe("tributary disperse --key", () => {
  const secretKey = new Uint8Array(32).fill(0x46);
  const file = join(dir, "blob.bin");
  writeFileSync(file, Buffer.from("signed by an account"));
  const opts = {
    source: file,
    namespace: Uint8Array.from([1, ...new Uint8Array(15)]),
    retentionSeconds: 3600,
    preset: "devnet",
    wait: false,
    timeoutMs: 5000,
    secretKey,
  };

  it("signs the header the encoder will build and reports the account", async () => {
    const sent: Sent[] = [];
    const out = captureOutput();
    await disperse(fakeDisperser(1, sent), opts, out);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.auth.account).toEqual(accountOf(secretKey));
    expect(out.results[0]).toMatchObject({
      status: "ENCODED",
      account: "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f",
    });
  });

  it("signs again for the epoch a stale-epoch answer names, once, with the same nonce", async () => {
    const sent: Sent[] = [];
    await disperse(fakeDisperser(7, sent), opts, captureOutput());
    expect(sent.map((s) => s.auth.epoch)).toEqual([1n, 7n]);
    expect(sent[1]!.auth.nonce).toBe(sent[0]!.auth.nonce);
  });

  it("does not second-guess an explicit --epoch", async () => {
    const sent: Sent[] = [];
    await expect(disperse(fakeDisperser(7, sent), { ...opts, epoch: 3 }, captureOutput())).rejects.toThrow(
      /stale epoch/,
    );
    expect(sent).toHaveLength(1);
  });
});
