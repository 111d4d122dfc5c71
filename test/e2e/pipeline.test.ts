/**
 * The DA pipeline end to end on a real devnet (4 storage shards, r=2, 2 consensus shards) on
 * real NATS JetStream, Redis, gRPC and disk: 200 blobs from concurrent clients reach FINALIZED
 * and come back byte-exact, statuses only move forward, retrieval survives a stopped storage
 * shard, namespace listings keep each namespace's submission order, and a blob signed by an
 * account through the CLI is accepted under the key it signed.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStatus } from "../../proto/src/gen/tributary/common/v1/blob_pb.ts";
import { Disperser } from "../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import { createClient, messageSizeOptions, type ServiceClient } from "../../proto/src/index.ts";
import { type DevnetHandle, startDevnet } from "./devnetHarness.ts";
import { disperseWith, listServices, loadDisperserClient, retrieveWith } from "./protoLoaderClient.ts";

const MiB = 1024 * 1024;
const BLOBS = 200;
const CLIENTS = 8;
const RANK: Record<number, number> = {
  [BlobStatus.QUEUED]: 0,
  [BlobStatus.ENCODED]: 1,
  [BlobStatus.CERTIFIED]: 2,
  [BlobStatus.CONFIRMED]: 3,
  [BlobStatus.FINALIZED]: 4,
};

interface Submitted {
  key: Uint8Array;
  data: Uint8Array;
  namespace: Uint8Array;
  statuses: number[];
}

/** Log-uniform sizes from 1 B to 16 MiB, plus both extremes, so every size class is hit. */
function blobSize(i: number): number {
  if (i === 0) return 1;
  if (i === 1) return 16 * MiB;
  return Math.max(1, Math.floor(Math.exp(Math.random() * Math.log(16 * MiB))));
}

function namespaceOf(client: number): Uint8Array {
  const ns = new Uint8Array(16);
  ns[0] = 0x01;
  ns[15] = client;
  return ns;
}

async function retrieveAll(client: ServiceClient<typeof Disperser>, key: Uint8Array): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const msg of client.retrieveBlob({ blobKey: key }, { timeoutMs: 120_000 })) {
    if (msg.part.case === "chunk") parts.push(msg.part.value.data);
  }
  return Buffer.concat(parts);
}

const CLI = new URL("../../services/cli/src/main.ts", import.meta.url).pathname;

/** Runs the `tributary` CLI and returns its stdout (throws, with its one-line error, on failure). */
function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
}

describe("pipeline on a devnet", () => {
  let devnet: DevnetHandle;
  let client: ServiceClient<typeof Disperser>;
  const submitted: Submitted[] = [];

  beforeAll(async () => {
    devnet = await startDevnet([
      "--storage",
      "4",
      "--replication",
      "2",
      "--consensus",
      "2",
      "--validators",
      "1",
    ]);
    client = createClient(Disperser, devnet.disperser, { channelOptions: messageSizeOptions(64 * MiB) });
  });
  afterAll(async () => {
    client?.$close();
    await devnet?.stop();
  });

  it(`disperses ${BLOBS} blobs from ${CLIENTS} concurrent clients, all reach FINALIZED`, async () => {
    let next = 0;
    // Each client owns one namespace and submits sequentially, so its submission order is defined.
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = next++; i < BLOBS; i = next++) {
          const data = randomBytes(blobSize(i));
          const namespace = namespaceOf(c);
          const reply = await client.disperseBlob(
            { data, namespace, retentionSeconds: 3600n, preset: "devnet" },
            { timeoutMs: 120_000 },
          );
          submitted.push({ key: reply.blobKey, data, namespace, statuses: [reply.status] });
        }
      }),
    );
    expect(submitted).toHaveLength(BLOBS);
    const deadline = Date.now() + 600_000;
    for (;;) {
      const pending = submitted.filter((s) => s.statuses.at(-1) !== BlobStatus.FINALIZED);
      if (pending.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `${pending.length} blobs not FINALIZED: ${pending.map((p) => p.statuses.at(-1)).join(",")}`,
        );
      await Promise.all(
        pending.map(async (s) => {
          const st = await client.getBlobStatus({ blobKey: s.key }, { timeoutMs: 10_000 });
          expect(st.status, `blob failed: ${st.failure?.code} ${st.failure?.message}`).not.toBe(
            BlobStatus.FAILED,
          );
          if (st.status !== s.statuses.at(-1)) s.statuses.push(st.status);
        }),
      );
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const s of submitted) {
      const ranks = s.statuses.map((x) => RANK[x] ?? -1);
      expect(
        ranks.every((r, i) => i === 0 || r > ranks[i - 1]!),
        `statuses ${s.statuses} went backwards`,
      ).toBe(true);
    }
  });

  it("retrieves every blob byte-exact", async () => {
    for (const s of submitted) {
      const back = await retrieveAll(client, s.key);
      expect(createHash("sha256").update(back).digest("hex")).toBe(
        createHash("sha256").update(s.data).digest("hex"),
      );
    }
  });

  it("lists each namespace in submission order", async () => {
    for (let c = 0; c < CLIENTS; c++) {
      const ns = namespaceOf(c);
      const mine = submitted
        .filter((s) => Buffer.from(s.namespace).equals(ns))
        .map((s) => Buffer.from(s.key).toString("hex"));
      const listed: string[] = [];
      for await (const entry of client.getBlobsByNamespace({
        namespace: ns,
        fromHeight: 0n,
        toHeight: 0n,
        limit: 1000,
      })) {
        listed.push(Buffer.from(entry.blobKey).toString("hex"));
      }
      if (JSON.stringify(listed) !== JSON.stringify(mine)) {
        // Say where the order broke: each blob's time per status and its place in the chain.
        const rows = await Promise.all(
          mine.map(async (k) => {
            const st = await client.getBlobStatus({ blobKey: Buffer.from(k, "hex") });
            const t = Object.fromEntries(st.statusTimes.map((x) => [x.status, Number(x.atMs) % 1_000_000]));
            return `${k.slice(0, 8)} h=${st.blockHeight} t=${JSON.stringify(t)}`;
          }),
        );
        console.error(`namespace ${c} order:\n${rows.join("\n")}`);
      }
      expect(listed).toEqual(mine);
    }
  });

  it("serves a client made by @grpc/proto-loader from the .proto files, and lists services by reflection", async () => {
    const other = loadDisperserClient(devnet.disperser);
    try {
      const data = randomBytes(300_000);
      const reply = await disperseWith(other, data, Buffer.from(namespaceOf(200)));
      expect(reply.blobKey).toHaveLength(32);
      expect(reply.status).toBe("BLOB_STATUS_ENCODED");
      expect(Buffer.compare(await retrieveWith(other, reply.blobKey), data)).toBe(0);
    } finally {
      other.close();
    }
    expect(await listServices(devnet.disperser)).toEqual(
      expect.arrayContaining(["tributary.disperser.v1.Disperser"]),
    );
  });

  it("disperses a blob signed by an account through the CLI (account new, disperse --key) and the disperser logs anonymous mode", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tributary-e2e-account-"));
    try {
      const keyFile = join(dir, "me.key");
      const created = JSON.parse(cli(["account", "new", "--out", keyFile, "--json"])) as { account: string };
      expect(created.account).toMatch(/^0x[0-9a-f]{40}$/);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const file = join(dir, "blob.bin");
      const data = randomBytes(700_000);
      writeFileSync(file, data);
      const reply = JSON.parse(
        cli(["disperse", file, "--key", keyFile, "--disperser", devnet.disperser, "--json"]),
      ) as { blobKey: string; status: string; account: string };
      expect(reply.status).toBe("ENCODED");
      expect(reply.account).toBe(created.account);
      const key = Buffer.from(reply.blobKey, "hex");
      const status = await client.getBlobStatus({ blobKey: key });
      expect(Buffer.from(status.header!.account).toString("hex")).toBe(created.account.slice(2));
      expect(Buffer.compare(await retrieveAll(client, key), data)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(devnet.log("disperser")).toMatch(/Anonymous dispersal is enabled/);
  });

  it("still retrieves with one storage shard stopped", async () => {
    const victim = devnet.processes.find((p) => p.name === "storage-1");
    expect(victim?.pid).toBeDefined();
    process.kill(victim!.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    for (const s of submitted.filter((_, i) => i % 10 === 0)) {
      const back = await retrieveAll(client, s.key);
      expect(Buffer.compare(back, Buffer.from(s.data))).toBe(0);
    }
  });
});
