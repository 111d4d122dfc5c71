/**
 * Where validators find what a block entry does not carry: each blob's header (for its k,
 * namespace and key) and inclusion proof. Blocks list blob keys only; the attester stored both
 * fields in the blob's Redis hash when it set CERTIFIED, before publishing the certificate.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type BlobInclusion, inclusionFromProto } from "@tributary/proto";
import { BlobInclusionSchema } from "@tributary/proto/tributary/common/v1/certificate";
import { type BlobHeader, decodeBlobHeader } from "@tributary/protocol";
import { blobStatusKey } from "@tributary/runtime";
import type { Redis } from "ioredis";

export type BlobInfo = { readonly header: BlobHeader; readonly inclusion: BlobInclusion | undefined };

export interface BlobInfoSource {
  get(blobKey: Uint8Array): Promise<BlobInfo | undefined>;
}

export class RedisBlobInfo implements BlobInfoSource {
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  async get(blobKey: Uint8Array): Promise<BlobInfo | undefined> {
    const [headerHex, inclusionB64] = await this.redis.hmget(blobStatusKey(blobKey), "header", "inclusion");
    if (headerHex === null || headerHex === undefined) return undefined;
    const header = decodeBlobHeader(new Uint8Array(Buffer.from(headerHex, "hex")));
    const inclusion =
      inclusionB64 === null || inclusionB64 === undefined
        ? undefined
        : inclusionFromProto(fromBinary(BlobInclusionSchema, Buffer.from(inclusionB64, "base64")));
    return { header, inclusion };
  }
}
