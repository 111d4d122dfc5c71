import { describe, expect, it } from "vitest";
import { checkCertifiedBlobs } from "../../src/envelopeCheck.ts";
import { VerifiedCertificates } from "../../src/verifiedCertificates.ts";
import { certify, testHeader, testNetwork } from "../support/fixtures.ts";

const net = testNetwork(1, "consensus-0", 1);
const headers = [testHeader(1), testHeader(1)];
const { certificate, proofs } = certify(net, headers);
const blobs = headers.map((header, i) => ({ header, inclusion: { blobIndex: i, proof: proofs[i]! } }));

describe("checkCertifiedBlobs with VerifiedCertificates", () => {
  it("remembers a certificate it verified in full, and only that one", () => {
    const verified = new VerifiedCertificates();
    expect(checkCertifiedBlobs(certificate, blobs, net.epoch, "consensus-0", 2, verified).ok).toBe(true);
    expect(verified.has(certificate)).toBe(true);
    expect(checkCertifiedBlobs(certificate, blobs, net.epoch, "consensus-0", 2, verified).ok).toBe(true);
  });

  it("still runs the pairing for a certificate that differs in any signed byte", () => {
    const verified = new VerifiedCertificates();
    checkCertifiedBlobs(certificate, blobs, net.epoch, "consensus-0", 2, verified);
    // Same batch, another aggregate signature (the one of a different signer set): not cached.
    const other = certify(net, headers, [0, 1]).certificate;
    const forged = { ...certificate, aggregateSignature: other.aggregateSignature };
    expect(verified.has(forged)).toBe(false);
    const check = checkCertifiedBlobs(forged, blobs, net.epoch, "consensus-0", 2, verified);
    expect(check.ok).toBe(false);
    expect(verified.has(forged)).toBe(false);
  });

  it("never caches a certificate that failed", () => {
    const verified = new VerifiedCertificates();
    const other = certify(net, headers, [0, 1]).certificate;
    const forged = { ...certificate, aggregateSignature: other.aggregateSignature };
    expect(checkCertifiedBlobs(forged, blobs, net.epoch, "consensus-0", 2, verified).ok).toBe(false);
    expect(verified.size).toBe(0);
  });

  it("evicts the oldest entry beyond its capacity", () => {
    const verified = new VerifiedCertificates(2);
    const certs = [0, 1, 2].map(() => certify(net, [testHeader(1)]).certificate);
    for (const c of certs) verified.add(c);
    expect(verified.has(certs[0]!)).toBe(false);
    expect(verified.has(certs[1]!)).toBe(true);
    expect(verified.has(certs[2]!)).toBe(true);
  });
});

describe("checkCertifiedBlobs on a malformed batch header", () => {
  // Found by test/faults: the check hashed the header for VerifiedCertificates before validating
  // it, so SubmitCertificate answered INTERNAL and a validator stopped following blocks.
  it.each([
    ["an attester id outside [A-Za-z0-9._-]", { attesterId: "\u0000ttester" }],
    ["a batch root that is not 32 bytes", { batchRoot: new Uint8Array(31) }],
    ["a created-at beyond 2^53", { createdAtMs: 2 ** 60 }],
  ])("refuses %s instead of throwing", (_what, change) => {
    const bad = { ...certificate, batchHeader: { ...certificate.batchHeader, ...change } };
    for (const verified of [new VerifiedCertificates(), undefined]) {
      const check = checkCertifiedBlobs(bad, blobs, net.epoch, "consensus-0", 2, verified);
      expect(check).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid batch header/) });
    }
  });
});
