/**
 * The public Disperser gRPC service: translates protobuf <-> domain and delegates to
 * `Dispersal`, `Retrieval`, the status record and the namespace index. Errors go through the
 * service's one table (`toRpcError`); every call is counted by method and status code.
 */
import {
  blobHeaderToProto,
  Code,
  type HandlerContext,
  implement,
  RpcError,
  type ServiceImplementation,
} from "@tributary/proto";
import { BlobStatus } from "@tributary/proto/tributary/common/v1/blob";
import { Disperser } from "@tributary/proto/tributary/disperser/v1/disperser";
import { consensusShardForNamespace, NAMESPACE_BYTES } from "@tributary/protocol";
import type { BlobStatusStore, Logger } from "@tributary/runtime";
import type { Redis } from "ioredis";
import { STATUS_TO_PROTO, statusResponseOf } from "./blobStatusResponse.ts";
import type { Dispersal } from "./dispersal.ts";
import { DisperserErrorCode, disperserError, toRpcError } from "./errors.ts";
import type { DisperserMetrics } from "./metrics.ts";
import { listNamespace } from "./namespaceIndex.ts";
import type { MembershipSource, Retrieval } from "./retrieval.ts";

/** Data chunks of RetrieveBlob are at most 1 MiB (disperser.proto). */
export const RETRIEVE_CHUNK_BYTES = 1024 * 1024;

export type DisperserServiceOptions = { namespaceDefaultLimit: number; namespaceMaxLimit: number };

export type DisperserServiceModules = {
  logger: Logger;
  metrics: DisperserMetrics;
  dispersal: Dispersal;
  retrieval: Retrieval;
  store: BlobStatusStore;
  redis: Redis;
  membership: MembershipSource;
};

export function createDisperserService(
  opts: DisperserServiceOptions,
  modules: DisperserServiceModules,
): ServiceImplementation {
  const logger = modules.logger.child("disperser-service");
  const { metrics, dispersal, retrieval, store, redis, membership } = modules;
  const count = (method: string, err?: unknown) => {
    const code = err === undefined ? "OK" : codeName(err);
    metrics.requests.inc({ method, code });
  };
  const unary =
    <Req, Res>(method: string, fn: (req: Req, ctx: HandlerContext) => Promise<Res>) =>
    async (req: Req, ctx: HandlerContext): Promise<Res> => {
      try {
        const res = await fn(req, ctx);
        count(method);
        return res;
      } catch (err) {
        count(method, err);
        throw err;
      }
    };
  const streaming = <Req, Res>(method: string, fn: (req: Req, ctx: HandlerContext) => AsyncIterable<Res>) =>
    async function* (req: Req, ctx: HandlerContext): AsyncGenerator<Res> {
      try {
        yield* fn(req, ctx);
        count(method);
      } catch (err) {
        count(method, err);
        throw err;
      }
    };

  return implement(
    Disperser,
    {
      disperseBlob: unary("DisperseBlob", async (req, ctx) => {
        const outcome = await dispersal.disperse(
          {
            data: req.data,
            namespace: req.namespace,
            retentionSeconds: req.retentionSeconds,
            preset: req.preset,
            auth: req.auth,
          },
          { signal: ctx.signal, deadline: ctx.deadline },
        );
        return {
          blobKey: outcome.blobKey,
          status: STATUS_TO_PROTO[outcome.status],
          header: blobHeaderToProto(outcome.header),
        };
      }),
      getBlobStatus: unary("GetBlobStatus", async (req) => {
        checkBlobKey(req.blobKey);
        const record = await store.get(req.blobKey);
        if (record === undefined) {
          throw disperserError(DisperserErrorCode.blobNotFound, "not_found", "unknown blob key");
        }
        return statusResponseOf(record);
      }),
      retrieveBlob: streaming("RetrieveBlob", async function* (req, ctx) {
        checkBlobKey(req.blobKey);
        const { header, data } = await retrieval.retrieve(req.blobKey, ctx.signal);
        yield {
          part: {
            case: "start",
            value: { header: blobHeaderToProto(header), totalSize: BigInt(data.length) },
          },
        };
        for (let offset = 0; offset < data.length; offset += RETRIEVE_CHUNK_BYTES) {
          yield {
            part: {
              case: "chunk",
              value: { offset: BigInt(offset), data: data.subarray(offset, offset + RETRIEVE_CHUNK_BYTES) },
            },
          };
        }
      }),
      getBlobsByNamespace: streaming("GetBlobsByNamespace", async function* (req) {
        if (req.namespace.length !== NAMESPACE_BYTES) {
          throw disperserError(
            DisperserErrorCode.invalidNamespace,
            "invalid_argument",
            `namespace must be ${NAMESPACE_BYTES} bytes, got ${req.namespace.length}`,
          );
        }
        const shardId = req.consensusShardId || consensusShardForNamespace(membership.current, req.namespace);
        const limit = Math.min(
          req.limit === 0 ? opts.namespaceDefaultLimit : req.limit,
          opts.namespaceMaxLimit,
        );
        const entries = await listNamespace(redis, store, {
          namespace: req.namespace,
          shardId,
          fromHeight: req.fromHeight,
          toHeight: req.toHeight,
          fromIndex: req.fromIndex,
          limit,
        });
        for (const e of entries) {
          yield {
            blobKey: e.blobKey,
            ...(e.header === undefined ? {} : { header: blobHeaderToProto(e.header) }),
            consensusShardId: e.shardId,
            blockHeight: e.height,
            indexInBlock: e.indexInBlock,
            status: e.status === undefined ? BlobStatus.UNSPECIFIED : STATUS_TO_PROTO[e.status],
          };
        }
      }),
    },
    {
      mapError: toRpcError,
      onInternalError: (err, path) => logger.error("Internal error", { path, err }),
    },
  );
}

function checkBlobKey(key: Uint8Array): void {
  if (key.length !== 32) {
    throw disperserError(
      DisperserErrorCode.invalidRequest,
      "invalid_argument",
      `blob_key must be 32 bytes, got ${key.length}`,
    );
  }
}

function codeName(err: unknown): string {
  const rpc = toRpcError(err);
  if (rpc instanceof RpcError) return Code[rpc.code] ?? "INTERNAL";
  return "INTERNAL";
}
