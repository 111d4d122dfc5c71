import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicKeyOf } from "../../src/bls.ts";
import { secretKeyFromSeed } from "../../src/blsKeygen.ts";
import {
  encodeSampleReport,
  encodeSampleReportBatch,
  signSampleReport,
  signSampleReportBatch,
  verifySampleReport,
  verifySampleReportBatch,
} from "../../src/sampleReport.ts";

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

describe("sample report batches", () => {
  const sk = secretKeyFromSeed(new Uint8Array(32).fill(5));
  const pk = publicKeyOf(sk);
  const second = { ...VECTOR_REPORT, blobKey: new Uint8Array(32).fill(9), passed: true, failedCells: [] };

  it("frames each report's canonical bytes after the domain and the count", () => {
    const bytes = Buffer.from(encodeSampleReportBatch([VECTOR_REPORT, second]));
    const one = encodeSampleReport(VECTOR_REPORT);
    expect(bytes.subarray(0, 32).toString("ascii")).toBe("TRIBUTARY/SAMPLE-REPORT-BATCH/v1");
    expect(bytes.readUInt32BE(32)).toBe(2);
    expect(bytes.readUInt32BE(36)).toBe(one.length);
    expect(bytes.subarray(40, 40 + one.length).equals(Buffer.from(one))).toBe(true);
  });

  it("one signature covers every report, their order and their number", () => {
    const sig = signSampleReportBatch(sk, [VECTOR_REPORT, second]);
    expect(verifySampleReportBatch(pk, [VECTOR_REPORT, second], sig)).toBe(true);
    expect(verifySampleReportBatch(pk, [second, VECTOR_REPORT], sig)).toBe(false);
    expect(verifySampleReportBatch(pk, [VECTOR_REPORT], sig)).toBe(false);
    expect(verifySampleReportBatch(pk, [VECTOR_REPORT, { ...second, passed: false }], sig)).toBe(false);
    // A batch signature is not a report signature, and the other way round.
    expect(verifySampleReport(pk, VECTOR_REPORT, signSampleReportBatch(sk, [VECTOR_REPORT]))).toBe(false);
    expect(verifySampleReportBatch(pk, [VECTOR_REPORT], signSampleReport(sk, VECTOR_REPORT))).toBe(false);
  });

  it("refuses empty batches and batches of several samplers", () => {
    expect(() => encodeSampleReportBatch([])).toThrow(RangeError);
    expect(() => encodeSampleReportBatch([VECTOR_REPORT, { ...second, samplerId: "other" }])).toThrow(
      /same sampler/,
    );
    expect(verifySampleReportBatch(pk, [], new Uint8Array(96))).toBe(false);
  });
});
