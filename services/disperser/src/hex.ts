/**
 * BlobHeader between its protobuf form (uint64 as bigint) and the protocol's domain form.
 */
import { create } from "@bufbuild/protobuf";
import {
  type BlobHeader as BlobHeaderProto,
  BlobHeaderSchema,
} from "@tributary/proto/tributary/common/v1/blob";
import type { BlobHeader } from "@tributary/protocol";

export function headerToProto(header: BlobHeader): BlobHeaderProto {
  return create(BlobHeaderSchema, {
    version: header.version,
    namespace: header.namespace,
    account: header.account,
    nonce: header.nonce,
    timestampMs: BigInt(header.timestampMs),
    size: header.size,
    squareWidth: header.k,
    cellSize: header.cellSize,
    dataRoot: header.dataRoot,
    retentionSeconds: BigInt(header.retentionSeconds),
    epoch: BigInt(header.epoch),
    preset: header.preset,
  });
}

/** The domain header of a protobuf one; throws (protocol's validation) if it is not a valid header. */
export function headerFromProto(h: BlobHeaderProto): BlobHeader {
  const num = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1);
  return {
    version: h.version,
    preset: h.preset as BlobHeader["preset"],
    namespace: h.namespace,
    account: h.account,
    nonce: h.nonce,
    timestampMs: num(h.timestampMs),
    size: h.size,
    k: h.squareWidth,
    cellSize: h.cellSize,
    dataRoot: h.dataRoot,
    retentionSeconds: num(h.retentionSeconds),
    epoch: num(h.epoch),
  };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}
