/**
 * Certificates a consensus shard must refuse at its gRPC intake (SubmitCertificate), with the
 * status the service defines for them: FAILED_PRECONDITION and CONSENSUS_ERROR_INVALID_CERTIFICATE
 * (grpcService.ts: a certificate that does not verify against its epoch), and never ordered.
 *
 * Already covered below the gRPC layer, not repeated here:
 * - verifyCertificate refuses a certificate under the weight threshold and a forged aggregate:
 *   services/protocol/test/unit/certificate.test.ts ("rejects a certificate under the weight
 *   threshold", "rejects a forged aggregate and a header altered after signing");
 * - a forged or bit-flipped BLS signature does not verify: services/protocol/test/unit/bls.test.ts
 *   ("rejects a forged signature (valid point, wrong scalar) and a bit-flipped one");
 * - rogue key without proof of possession: validateEpoch refuses the membership (bls.test.ts
 *   "the attacker cannot produce a PoP for the rogue key, so validateEpoch rejects it",
 *   certificate.test.ts "rogue key: a forged certificate verifies only against an epoch whose
 *   PoPs were not checked") and so does the membership loader (services/runtime/test/integration/
 *   membership.test.ts "rejects a key without a valid proof of possession");
 * - the leader drops a below-threshold certificate that arrives over JetStream:
 *   services/consensus-shard/test/integration/consensus.test.ts.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsensusShard } from "../../proto/src/gen/tributary/consensus/v1/consensus_pb.ts";
import { batchHeaderFromProto, createClient, RpcError, type ServiceClient } from "../../proto/src/index.ts";
import { testHeader } from "../../services/consensus-shard/test/support/fixtures.ts";
import { batchSigningMessage, secretKeyFromSeed, sign } from "../../services/protocol/src/index.ts";
import {
  type CertifiedRequest,
  type ConsensusShardTarget,
  startConsensusShardTarget,
} from "./support/consensusShardTarget.ts";

type ProtoCertificate = CertifiedRequest["certificate"];

const signingMessage = (c: ProtoCertificate) => batchSigningMessage(batchHeaderFromProto(c.batchHeader!));

async function refusal(call: Promise<unknown>): Promise<RpcError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpcError);
  return err as RpcError;
}

describe("consensus shard gRPC intake refuses bad certificates", () => {
  let target: ConsensusShardTarget;
  let client: ServiceClient<typeof ConsensusShard>;

  beforeAll(async () => {
    target = await startConsensusShardTarget();
    client = createClient(ConsensusShard, target.address);
  });
  afterAll(async () => {
    client?.$close();
    await target?.close();
  });

  /** The blob keys ordered in any block so far. */
  async function orderedKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    const head = await target.node.blocks.headHeight();
    for (let h = 1; h <= head; h++) {
      for (const e of (await target.node.blocks.get(h))!.block.entries)
        for (const k of e.blobKeys) keys.add(Buffer.from(k).toString("hex"));
    }
    return keys;
  }

  async function expectRefused(request: CertifiedRequest, reason: RegExp): Promise<void> {
    const err = await refusal(client.submitCertificate(request));
    expect(err.codeName).toBe("FAILED_PRECONDITION");
    expect(err.metadata.get("tributary-error-code")).toEqual(["CONSENSUS_ERROR_INVALID_CERTIFICATE"]);
    expect(err.message).toMatch(reason);
    await sleep(300); // a block interval and more: had it been published, it would be ordered now
    const key = Buffer.from(request.blobs[0]!.blobKey).toString("hex");
    expect((await orderedKeys()).has(key)).toBe(false);
  }

  it("accepts a certificate signed by every storage shard (so the refusals below mean something)", async () => {
    const request = await target.certifiedRequest([testHeader(1, 1200)], [0, 1, 2]);
    await expect(client.submitCertificate(request)).resolves.toMatchObject({ duplicate: false });
  });

  it("refuses a certificate under the 2/3 threshold", async () => {
    const request = await target.certifiedRequest([testHeader(1, 1300)], [0]);
    await expectRefused(request, /below 2\/3/);
  });

  it("refuses a certificate whose batch header is malformed (answered INTERNAL before test/faults)", async () => {
    const request = await target.certifiedRequest([testHeader(1, 1350)], [0, 1, 2]);
    request.certificate.batchHeader!.attesterId = "\u0000ttester-test";
    await expectRefused(request, /invalid batch header/);
  });

  it("refuses a forged aggregate: the signer bitmap names shards whose signatures it does not hold", async () => {
    const request = await target.certifiedRequest([testHeader(1, 1400)], [0, 1, 2]);
    const certificate = request.certificate;
    // Signed by shard 0 alone, presented as the aggregate of all three.
    certificate.aggregateSignature = sign(target.network.storage[0]!.secretKey, signingMessage(certificate));
    await expectRefused(request, /aggregate signature does not verify/);
  });

  it("refuses a rogue-key aggregate: the attacker's key in the epoch is the one it proved possession of", async () => {
    // Shard 2 turns attacker: it knows only shard 0's public key and would have registered
    // g^x - pk0 to sign "for" shard 0 with x alone. validateEpoch only admits keys with a proof of
    // possession, so the epoch holds its real key and the rogue aggregate x·H(m) fails.
    const request = await target.certifiedRequest([testHeader(1, 1500)], [0, 2]);
    const certificate = request.certificate;
    const x = secretKeyFromSeed(new Uint8Array(32).fill(0x66));
    certificate.aggregateSignature = sign(x, signingMessage(certificate));
    await expectRefused(request, /aggregate signature does not verify/);
  });
});
