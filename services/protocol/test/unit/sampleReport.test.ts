import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicKeyOf } from "../../src/bls.ts";
import { secretKeyFromSeed } from "../../src/blsKeygen.ts";
import { encodeSampleReport, signSampleReport, verifySampleReport } from "../../src/sampleReport.ts";

/** Known-answer vector: the sampler signs and validators verify these exact bytes. */
const VECTOR_REPORT = {
  blobKey: new Uint8Array(32).map((_, i) => i),
  epoch: 7n,
  samples: 24,
  failedCells: [{ row: 3, column: 9, code: "SAMPLER_ERROR_PROOF_INVALID" }],
  passed: false,
  confidence: 0.5,
  samplerId: "sampler-0",
  sampledAtMs: 1_700_000_000_123n,
};
const VECTOR_SHA256 = "3b81b7230687fe57ab1b70b5b8e878ffa1fc6c51e9fefecba547a0ea58a3895d";

describe("sample report canonical bytes", () => {
  it("matches the known-answer vector", () => {
    const bytes = encodeSampleReport(VECTOR_REPORT);
    expect(Buffer.from(bytes.subarray(0, 26)).toString("ascii")).toBe("TRIBUTARY/SAMPLE-REPORT/v1");
    expect(bytes.length).toBe(26 + 32 + 8 + 4 + 4 + (9 + 27) + 1 + 8 + 1 + 9 + 8);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(VECTOR_SHA256);
  });

  it("every field is covered by the signature", () => {
    const sk = secretKeyFromSeed(randomBytes(32));
    const pk = publicKeyOf(sk);
    const sig = signSampleReport(sk, VECTOR_REPORT);
    expect(verifySampleReport(pk, VECTOR_REPORT, sig)).toBe(true);
    const tampered = [
      { ...VECTOR_REPORT, passed: true },
      { ...VECTOR_REPORT, samples: 25 },
      { ...VECTOR_REPORT, epoch: 8n },
      { ...VECTOR_REPORT, confidence: 0.51 },
      { ...VECTOR_REPORT, samplerId: "sampler-1" },
      { ...VECTOR_REPORT, sampledAtMs: 1n },
      { ...VECTOR_REPORT, failedCells: [] },
      { ...VECTOR_REPORT, failedCells: [{ row: 3, column: 9, code: "SAMPLER_ERROR_UNAVAILABLE" }] },
      { ...VECTOR_REPORT, blobKey: new Uint8Array(32) },
    ];
    for (const t of tampered) expect(verifySampleReport(pk, t, sig)).toBe(false);
  });
});
