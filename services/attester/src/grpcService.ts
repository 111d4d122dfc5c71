/**
 * The Attester gRPC service: translates proto <-> domain and delegates.
 * - SubmitEncoded: an alternative intake to the NATS event (e.g. tools); validates the header and
 *   publishes the EncodedEvent on the encoded subject (msgID = blob key, so a resubmission within
 *   JetStream's duplicate window is dropped).
 * - GetCertificate: the certificate and inclusion proof stored with the blob's CERTIFIED status.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Server } from "@tributary/proto";
import { addService, blobHeaderFromProto } from "@tributary/proto";
import { Attester as AttesterService } from "@tributary/proto/tributary/attester/v1/attester";
import { BlobInclusionSchema, CertificateSchema } from "@tributary/proto/tributary/common/v1/certificate";
import { EncodedEventSchema } from "@tributary/proto/tributary/events/v1/events";
import { blobKey, validateBlobHeader } from "@tributary/protocol";
import type { BlobStatusStore, Logger } from "@tributary/runtime";
import type { NatsConnection } from "nats";
import { AttesterErrorCode, attesterError, toRpcError } from "./errors.ts";
import { encodedSubject, type LaneNames } from "./lane.ts";

export type AttesterGrpcModules = {
  readonly logger: Logger;
  readonly nc: NatsConnection;
  readonly statusStore: BlobStatusStore;
};

export function addAttesterService(server: Server, lane: LaneNames, modules: AttesterGrpcModules): void {
  const logger = modules.logger.child("grpc-attester");
  addService(
    server,
    AttesterService,
    {
      async submitEncoded(request) {
        let keyHex: string;
        try {
          if (request.header === undefined) throw new Error("header is required");
          const header = blobHeaderFromProto(request.header);
          validateBlobHeader(header);
          keyHex = Buffer.from(blobKey(header)).toString("hex");
        } catch (err) {
          return {
            accepted: false,
            rejection: {
              code: AttesterErrorCode.invalidHeader,
              message: err instanceof Error ? err.message : String(err),
            },
          };
        }
        const event = create(EncodedEventSchema, {
          header: request.header,
          receipts: request.receipts,
          acceptedAtMs: BigInt(Date.now()),
        });
        try {
          await modules.nc.jetstream().publish(encodedSubject(lane), toBinary(EncodedEventSchema, event), {
            msgID: keyHex,
          });
        } catch (err) {
          throw attesterError(AttesterErrorCode.unavailable, "unavailable", "Could not publish the event", {
            cause: String(err),
          });
        }
        return { accepted: true };
      },
      async getCertificate(request) {
        if (request.blobKey.length !== 32) {
          throw attesterError(
            AttesterErrorCode.invalidRequest,
            "invalid_argument",
            "blob_key must be 32 bytes",
          );
        }
        const record = await modules.statusStore.get(request.blobKey);
        const cert = record?.fields.certificate;
        const inclusion = record?.fields.inclusion;
        if (cert === undefined || inclusion === undefined) {
          throw attesterError(AttesterErrorCode.notFound, "not_found", "No certificate for this blob");
        }
        return {
          certificate: fromBinary(CertificateSchema, Buffer.from(cert, "base64")),
          inclusion: fromBinary(BlobInclusionSchema, Buffer.from(inclusion, "base64")),
        };
      },
    },
    {
      mapError: toRpcError,
      onInternalError: (err, path) => logger.error("Internal error in gRPC handler", { path, err }),
    },
  );
}
