import { randomBytes } from "node:crypto";
import { blockSigningMessage, sign } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { meetsTwoThirds, VoteAggregator, verifyFinality } from "../../src/voteAggregator.ts";
import { keyed } from "../support/fixtures.ts";

describe("vote aggregation", () => {
  it("2/3 threshold in integer arithmetic", () => {
    expect(meetsTwoThirds(2, 3)).toBe(true);
    expect(meetsTwoThirds(1, 3)).toBe(false);
    expect(meetsTwoThirds(5, 8)).toBe(false);
    expect(meetsTwoThirds(6, 9)).toBe(true);
    expect(meetsTwoThirds(0, 0)).toBe(false);
  });

  it("counts only valid votes of known validators by weight, and the proof verifies", () => {
    const vs = [keyed("v0", 2), keyed("v1", 1), keyed("v2", 1)];
    const validators = vs.map(({ secretKey: _s, ...v }) => v);
    const hash = randomBytes(32);
    const msg = blockSigningMessage(hash);
    const agg = new VoteAggregator(validators, hash);
    expect(agg.offer("nobody", hash, sign(vs[0]!.secretKey, msg))).toBe("unknown_validator");
    expect(agg.offer("v1", randomBytes(32), sign(vs[1]!.secretKey, msg))).toBe("wrong_block");
    expect(agg.offer("v1", hash, sign(vs[2]!.secretKey, msg))).toBe("invalid_signature");
    expect(agg.offer("v0", hash, sign(vs[0]!.secretKey, msg))).toBe("accepted");
    expect(agg.offer("v0", hash, sign(vs[0]!.secretKey, msg))).toBe("duplicate");
    expect(agg.reached).toBe(false); // weight 2 of 4
    expect(() => agg.proof()).toThrow();
    expect(agg.offer("v2", hash, sign(vs[2]!.secretKey, msg))).toBe("accepted");
    expect(agg.reached).toBe(true); // 3 of 4
    const proof = agg.proof();
    expect(proof.validatorBitmap).toEqual(Uint8Array.of(0b101));
    expect(verifyFinality(validators, hash, proof)).toBe(true);
    expect(verifyFinality(validators, randomBytes(32), proof)).toBe(false);
    expect(verifyFinality(validators, hash, { ...proof, validatorBitmap: Uint8Array.of(0b001) })).toBe(false);
  });
});
