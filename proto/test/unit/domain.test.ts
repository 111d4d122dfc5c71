import { create } from "@bufbuild/protobuf";
import type { BlobHeader, Certificate } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import {
  blobHeaderFromProto,
  blobHeaderToProto,
  certificateFromProto,
  certificateToProto,
  FieldRangeError,
  inclusionFromProto,
  inclusionToProto,
  storageReceiptFromProto,
  storageReceiptToProto,
  uint64ToNumber,
} from "../../src/domain.ts";
import { BlobHeaderSchema } from "../../src/gen/tributary/common/v1/blob_pb.ts";
import { BlobInclusionSchema, CertificateSchema } from "../../src/gen/tributary/common/v1/certificate_pb.ts";

const header: BlobHeader = {
  version: 1,
  preset: "devnet",
  namespace: new Uint8Array(16).fill(1),
  account: new Uint8Array(20).fill(2),
  nonce: 2n ** 63n,
  timestampMs: 1_700_000_000_000,
  size: 1000,
  k: 4,
  cellSize: 64,
  dataRoot: new Uint8Array(32).fill(3),
  retentionSeconds: 86_400,
  epoch: 7,
};

const certificate: Certificate = {
  batchHeader: {
    epoch: 7,
    batchRoot: new Uint8Array(32).fill(4),
    blobCount: 2,
    createdAtMs: 1_700_000_000_001,
    attesterId: "attester-0",
  },
  signerBitmap: Uint8Array.of(3),
  aggregateSignature: new Uint8Array(96).fill(5),
};

describe("proto <-> domain conversions", () => {
  it("round-trip headers, certificates, inclusions and receipts", () => {
    expect(blobHeaderFromProto(blobHeaderToProto(header))).toEqual(header);
    expect(certificateFromProto(certificateToProto(certificate))).toEqual(certificate);
    const inclusion = { blobIndex: 1, proof: { index: 1, siblings: [new Uint8Array(32).fill(6)] } };
    expect(inclusionFromProto(inclusionToProto(inclusion))).toEqual(inclusion);
    const receipt = {
      blobKey: new Uint8Array(32),
      shardId: "storage-0",
      epoch: 7,
      columns: [0, 3],
      storedAtMs: 1_700_000_000_002,
    };
    expect(storageReceiptFromProto(storageReceiptToProto(receipt))).toEqual(receipt);
  });

  it("a uint64 above 2^53 - 1 throws a FieldRangeError naming the field", () => {
    expect(uint64ToNumber(2n ** 53n - 1n, "x")).toBe(Number.MAX_SAFE_INTEGER);
    const wire = blobHeaderToProto(header);
    wire.retentionSeconds = 2n ** 53n;
    expect(() => blobHeaderFromProto(wire)).toThrow(FieldRangeError);
    expect(() => blobHeaderFromProto(wire)).toThrow("retentionSeconds out of range");
  });

  it("a certificate needs its batch header; a missing inclusion proof never verifies", () => {
    expect(() => certificateFromProto(create(CertificateSchema, {}))).toThrow(
      "certificate has no batch header",
    );
    expect(inclusionFromProto(create(BlobInclusionSchema, { blobIndex: 2 }))).toEqual({
      blobIndex: 2,
      proof: { index: -1, siblings: [] },
    });
    expect(blobHeaderFromProto(create(BlobHeaderSchema, {})).epoch).toBe(0);
  });
});
