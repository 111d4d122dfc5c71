/**
 * Canonical bytes of a SampleReport, which the sampler BLS-signs and validators verify. It lives
 * in the protocol package so that signer and verifiers share one encoding (a known-answer vector in
 * test/unit/sampleReport.test.ts pins it).
 *
 *   ASCII("TRIBUTARY/SAMPLE-REPORT/v1")
 *   blobKey                                32 bytes
 *   u64 epoch
 *   u32 samples
 *   u32 failedCount, then per failed cell: u32 row || u32 column || u8 len(code) || code (ASCII)
 *   u8  passed (0 or 1)
 *   f64 confidence                         IEEE 754 binary64, big-endian
 *   u8  len(samplerId) || samplerId (ASCII)
 *   u64 sampledAtMs
 * All integers big-endian. The signature field itself is not covered.
 *
 * A batch of reports (SampleReportBatch, what the sampler publishes) is signed once over
 *
 *   ASCII("TRIBUTARY/SAMPLE-REPORT-BATCH/v1")
 *   u32 count, then per report: u32 length || the report's canonical bytes (above)
 *
 * Every report of a batch must name the same sampler, the one whose key signs.
 */
import { sign, verify } from "./bls.ts";

export const SAMPLE_REPORT_DOMAIN = "TRIBUTARY/SAMPLE-REPORT/v1";
export const SAMPLE_REPORT_BATCH_DOMAIN = "TRIBUTARY/SAMPLE-REPORT-BATCH/v1";

/** The signed fields of a SampleReport (the generated message satisfies it). */
export interface SampleReportFields {
  readonly blobKey: Uint8Array;
  readonly epoch: bigint;
  readonly samples: number;
  readonly failedCells: readonly { readonly row: number; readonly column: number; readonly code: string }[];
  readonly passed: boolean;
  readonly confidence: number;
  readonly samplerId: string;
  readonly sampledAtMs: bigint;
}

function ascii(s: string, what: string): Buffer {
  const b = Buffer.from(s, "ascii");
  if (b.length > 255 || b.toString("ascii") !== s)
    throw new RangeError(`${what} must be <= 255 ASCII characters`);
  return b;
}

export function encodeSampleReport(r: SampleReportFields): Uint8Array {
  if (r.blobKey.length !== 32) throw new RangeError("blobKey must be 32 bytes");
  const domain = Buffer.from(SAMPLE_REPORT_DOMAIN, "ascii");
  const codes = r.failedCells.map((c) => ascii(c.code, "failure code"));
  const sampler = ascii(r.samplerId, "samplerId");
  const size =
    domain.length +
    32 +
    8 +
    4 +
    4 +
    codes.reduce((n, c) => n + 9 + c.length, 0) +
    1 +
    8 +
    1 +
    sampler.length +
    8;
  const out = Buffer.alloc(size);
  out.set(domain, 0);
  let at = domain.length;
  out.set(r.blobKey, at);
  at += 32;
  at = out.writeBigUInt64BE(r.epoch, at);
  at = out.writeUInt32BE(r.samples, at);
  at = out.writeUInt32BE(r.failedCells.length, at);
  r.failedCells.forEach((c, i) => {
    at = out.writeUInt32BE(c.row, at);
    at = out.writeUInt32BE(c.column, at);
    at = out.writeUInt8(codes[i]!.length, at);
    out.set(codes[i]!, at);
    at += codes[i]!.length;
  });
  at = out.writeUInt8(r.passed ? 1 : 0, at);
  at = out.writeDoubleBE(r.confidence, at);
  at = out.writeUInt8(sampler.length, at);
  out.set(sampler, at);
  at += sampler.length;
  out.writeBigUInt64BE(r.sampledAtMs, at);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export function signSampleReport(secretKey: Uint8Array, r: SampleReportFields): Uint8Array {
  return sign(secretKey, encodeSampleReport(r));
}

/** True iff `signature` is `publicKey`'s signature over the report's canonical bytes. Never throws. */
export function verifySampleReport(
  publicKey: Uint8Array,
  r: SampleReportFields,
  signature: Uint8Array,
): boolean {
  try {
    return verify(publicKey, encodeSampleReport(r), signature);
  } catch {
    return false;
  }
}

/** Canonical bytes of a batch of reports (module doc). Throws RangeError on an empty batch or mixed samplers. */
export function encodeSampleReportBatch(reports: readonly SampleReportFields[]): Uint8Array {
  if (reports.length === 0) throw new RangeError("a sample report batch holds at least one report");
  const sampler = reports[0]!.samplerId;
  if (reports.some((r) => r.samplerId !== sampler)) {
    throw new RangeError("every report of a batch must name the same sampler");
  }
  const domain = Buffer.from(SAMPLE_REPORT_BATCH_DOMAIN, "ascii");
  const parts = reports.map(encodeSampleReport);
  const out = Buffer.alloc(domain.length + 4 + parts.reduce((n, p) => n + 4 + p.length, 0));
  out.set(domain, 0);
  let at = out.writeUInt32BE(reports.length, domain.length);
  for (const p of parts) {
    at = out.writeUInt32BE(p.length, at);
    out.set(p, at);
    at += p.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export function signSampleReportBatch(
  secretKey: Uint8Array,
  reports: readonly SampleReportFields[],
): Uint8Array {
  return sign(secretKey, encodeSampleReportBatch(reports));
}

/** True iff `signature` is `publicKey`'s signature over the batch's canonical bytes. Never throws. */
export function verifySampleReportBatch(
  publicKey: Uint8Array,
  reports: readonly SampleReportFields[],
  signature: Uint8Array,
): boolean {
  try {
    return verify(publicKey, encodeSampleReportBatch(reports), signature);
  } catch {
    return false;
  }
}
