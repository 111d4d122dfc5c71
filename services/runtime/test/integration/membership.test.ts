import { randomBytes } from "node:crypto";
import {
  type EpochMembership,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
} from "@tributary/protocol";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MEMBERSHIP_BUCKET,
  MembershipView,
  membershipToJson,
  openMembershipBucket,
  parseMembership,
  publishMembership,
} from "../../src/index.ts";

function member(id: string) {
  const sk = secretKeyFromSeed(randomBytes(32));
  return { id, blsPublicKey: publicKeyOf(sk), weight: 1, proofOfPossession: proveProofOfPossession(sk) };
}

function epoch(n: number, shards: number): EpochMembership {
  return {
    epoch: n,
    replication: 1,
    columnMargin: 0,
    storageShards: Array.from({ length: shards }, (_, i) => ({
      ...member(`storage-${i}`),
      endpoint: `127.0.0.1:${7300 + i}`,
    })),
    consensusShards: [{ id: "consensus-0", validators: [member("consensus-0-v0")] }],
  };
}

describe("membership in NATS KV (real JetStream)", () => {
  let nc: NatsConnection;
  // A bucket of its own: the shared one may belong to a devnet running on this machine.
  const bucket = `tributary_membership_test_${randomBytes(4).toString("hex")}`;
  const e1 = epoch(1, 2);
  const e2 = epoch(2, 3);

  beforeAll(async () => {
    nc = await connect({ servers: "127.0.0.1:4222" });
  });
  afterAll(async () => {
    await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`).catch(() => undefined);
    await nc.drain();
  });

  it("round-trips through JSON and rejects a key without a valid proof of possession", () => {
    const back = parseMembership(membershipToJson(e1));
    expect(back.storageShards.map((s) => s.id)).toEqual(["storage-0", "storage-1"]);
    const json = membershipToJson(e1);
    json.storageShards[1]!.proofOfPossession = json.storageShards[0]!.proofOfPossession;
    expect(() => parseMembership(json)).toThrow(/proof of possession/i);
    expect(() => parseMembership({ ...membershipToJson(e1), extra: 1 })).toThrow(/extra/);
  });

  it("publishes, loads and follows epoch changes; past epochs stay readable and immutable", async () => {
    const kv = await openMembershipBucket(nc.jetstream(), bucket);
    await publishMembership(kv, e1);
    const view = await MembershipView.open(nc.jetstream(), { waitMs: 2000, bucket });
    expect(view.current.epoch).toBe(1);
    const changed = new Promise<EpochMembership>((resolve) => view.onChange(resolve));
    await publishMembership(kv, e2);
    expect((await changed).storageShards).toHaveLength(3);
    expect(view.current.epoch).toBe(2);
    expect((await view.epoch(1)).storageShards).toHaveLength(2);
    await expect(publishMembership(kv, { ...e1, replication: 2 })).rejects.toThrow(/already exists/);
    await expect(view.epoch(99)).rejects.toThrow(/unknown epoch 99/);
    view.close();
    expect(MEMBERSHIP_BUCKET).toBe("tributary_membership");
  });
});
