/**
 * The ConsensusShard gRPC service: translates proto <-> domain and delegates to the block stream,
 * the finality tracker and the certs subject.
 * - GetBlock: height 0 is the head; NOT_FOUND above it. Final blocks carry their finality proof.
 * - StreamBlocks: from `from_height` (0 = 1), gap-free, following the head; with
 *   `finalized_only`, each block is sent once final.
 * - SubmitCertificate: looks up each blob's header (Redis), checks the certificate like the
 *   leader would (FAILED_PRECONDITION if it does not verify) and publishes the envelope on
 *   `tributary.certs.<shardId>` (msgID = batch root, so a resubmission is a duplicate).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import {
  addService,
  blobHeaderToProto,
  certificateFromProto,
  inclusionFromProto,
  type Server,
} from "@tributary/proto";
import { ConsensusShard, type Block as ProtoBlock } from "@tributary/proto/tributary/consensus/v1/consensus";
import { CertificateEnvelopeSchema } from "@tributary/proto/tributary/events/v1/events";
import type { Logger } from "@tributary/runtime";
import type { NatsConnection } from "nats";
import type { BlobInfoSource } from "./blobInfo.ts";
import type { BlockStream } from "./blockStream.ts";
import { checkCertifiedBlobs } from "./envelopeCheck.ts";
import type { EpochSource } from "./epochSource.ts";
import { ConsensusErrorCode, consensusError, toRpcError } from "./errors.ts";
import type { FinalityTracker } from "./finalityTracker.ts";
import { certsSubject, type LaneNames } from "./lane.ts";
import type { VerifiedCertificates } from "./verifiedCertificates.ts";

export type ConsensusGrpcModules = {
  readonly logger: Logger;
  readonly nc: NatsConnection;
  readonly blocks: BlockStream;
  readonly finality: FinalityTracker;
  readonly membership: EpochSource;
  readonly blobInfo: BlobInfoSource;
  readonly verified?: VerifiedCertificates;
};

export function addConsensusShardService(
  server: Server,
  opts: { shardId: string; lane: LaneNames },
  modules: ConsensusGrpcModules,
): void {
  const logger = modules.logger.child("grpc-consensus");
  const withFinality = (block: ProtoBlock): { block: ProtoBlock; finalized: boolean } => {
    const event = modules.finality.get(Number(block.height));
    if (event === undefined) return { block, finalized: false };
    block.validatorBitmap = event.validatorBitmap;
    block.aggregateSignature = event.aggregateSignature;
    return { block, finalized: true };
  };

  addService(
    server,
    ConsensusShard,
    {
      async getBlock(request) {
        const head = await modules.blocks.headHeight();
        const height = request.height === 0n ? head : Number(request.height);
        if (height === 0 || height > head) {
          throw consensusError(ConsensusErrorCode.blockNotFound, "not_found", "No block at this height", {
            height,
            head,
          });
        }
        const stored = await modules.blocks.get(height);
        if (stored === undefined)
          throw consensusError(ConsensusErrorCode.blockNotFound, "not_found", "Block not stored");
        return withFinality(stored.proto);
      },
      async *streamBlocks(request, ctx) {
        const from = request.fromHeight === 0n ? 1 : Number(request.fromHeight);
        for await (const { proto } of modules.blocks.follow(from, ctx.signal)) {
          if (request.finalizedOnly) await modules.finality.waitFor(Number(proto.height), ctx.signal);
          yield withFinality(proto);
        }
      },
      async submitCertificate(request) {
        if (request.certificate === undefined || request.blobs.length === 0) {
          throw consensusError(
            ConsensusErrorCode.invalidRequest,
            "invalid_argument",
            "certificate and blobs required",
          );
        }
        let certificate: ReturnType<typeof certificateFromProto>;
        try {
          certificate = certificateFromProto(request.certificate);
        } catch (err) {
          throw consensusError(ConsensusErrorCode.invalidRequest, "invalid_argument", String(err));
        }
        const blobs = [];
        for (const b of request.blobs) {
          if (b.blobKey.length !== 32 || b.inclusion === undefined) {
            throw consensusError(
              ConsensusErrorCode.invalidRequest,
              "invalid_argument",
              "blob_key and inclusion required",
            );
          }
          const info = await modules.blobInfo.get(b.blobKey);
          if (info === undefined) {
            throw consensusError(ConsensusErrorCode.unknownBlob, "failed_precondition", "Unknown blob", {
              blobKey: Buffer.from(b.blobKey).toString("hex"),
            });
          }
          blobs.push({
            header: info.header,
            inclusion: inclusionFromProto(b.inclusion),
            expectedKey: b.blobKey,
          });
        }
        const epoch = await modules.membership.epoch(certificate.batchHeader.epoch).catch(() => undefined);
        const check =
          epoch === undefined
            ? { ok: false as const, reason: "unknown epoch" }
            : checkCertifiedBlobs(
                certificate,
                blobs,
                epoch,
                opts.shardId,
                certificate.batchHeader.blobCount,
                modules.verified,
              );
        if (!check.ok) {
          throw consensusError(ConsensusErrorCode.invalidCertificate, "failed_precondition", check.reason);
        }
        const envelope = create(CertificateEnvelopeSchema, {
          certificate: request.certificate,
          blobs: blobs.map((b, i) => ({
            header: blobHeaderToProto(b.header),
            inclusion: request.blobs[i]!.inclusion,
          })),
          batchBlobCount: certificate.batchHeader.blobCount,
        });
        const ack = await modules.nc
          .jetstream()
          .publish(certsSubject(opts.lane, opts.shardId), toBinary(CertificateEnvelopeSchema, envelope), {
            msgID: `${Buffer.from(certificate.batchHeader.batchRoot).toString("hex")}.${opts.shardId}`,
          });
        return { duplicate: ack.duplicate };
      },
    },
    {
      mapError: toRpcError,
      onInternalError: (err, path) => logger.error("Internal error in gRPC handler", { path, err }),
    },
  );
}
