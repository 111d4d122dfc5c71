import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, RpcError } from "@tributary/proto";
import type { AccountAuthSchema } from "@tributary/proto/tributary/disperser/v1/disperser";
import {
  bytesEqual,
  type NetworkPreset,
  resignForEpoch,
  type SignedSubmission,
  signSubmission,
} from "@tributary/protocol";
import { BlobStatus, isTerminal, statusName, statusProgress } from "../blobStatus.ts";
import { CliError } from "../cliError.ts";
import type { DisperserClient } from "../disperserClient.ts";
import { formatBytes, hex, type Output } from "../output.ts";
import { createProgress } from "../progress.ts";

export interface DisperseOptions {
  readonly source: string;
  readonly namespace: Uint8Array;
  readonly retentionSeconds: number;
  readonly preset: string;
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** Sign as this account (secret key); undefined disperses anonymously. */
  readonly secretKey?: Uint8Array | undefined;
  /** Epoch to sign for; undefined starts with 1 and follows the disperser's answer. */
  readonly epoch?: number | undefined;
}

/** Trailer in which a disperser names its current epoch when a signed request's is stale. */
const CURRENT_EPOCH_TRAILER = "tributary-current-epoch";

type DisperseRequest = { data: Uint8Array; namespace: Uint8Array; retentionSeconds: bigint; preset: string };

function authOf(signed: SignedSubmission): MessageInitShape<typeof AccountAuthSchema> {
  return {
    account: signed.account,
    nonce: signed.header.nonce,
    timestampMs: BigInt(signed.header.timestampMs),
    epoch: BigInt(signed.header.epoch),
    signature: signed.signature,
    blobKey: signed.blobKey,
  };
}

/** The epoch a FAILED_PRECONDITION answer names as current, if it is one. */
function currentEpochOf(err: unknown): number | undefined {
  if (!(err instanceof RpcError) || err.code !== Code.FAILED_PRECONDITION) return undefined;
  const value = Number(err.metadata.get(CURRENT_EPOCH_TRAILER)[0]);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * A signed dispersal: the header the encoder will build, signed; when the disperser answers
 * that the epoch moved on, signed again for its epoch and sent once more (same nonce: a stale
 * epoch is refused before the nonce is used).
 */
async function disperseSigned(
  client: DisperserClient,
  request: DisperseRequest,
  opts: DisperseOptions & { secretKey: Uint8Array },
): Promise<Awaited<ReturnType<DisperserClient["disperseBlob"]>>> {
  let signed = signSubmission(opts.secretKey, request.data, {
    preset: opts.preset as NetworkPreset["name"],
    namespace: opts.namespace,
    nonce: randomBytes(8).readBigUInt64BE() >> 1n,
    timestampMs: Date.now(),
    retentionSeconds: opts.retentionSeconds,
    epoch: opts.epoch ?? 1,
  });
  for (let attempt = 0; ; attempt++) {
    try {
      const reply = await client.disperseBlob(
        { ...request, auth: authOf(signed) },
        { timeoutMs: opts.timeoutMs },
      );
      if (!bytesEqual(reply.blobKey, signed.blobKey)) {
        throw new CliError("the disperser answered a blob key other than the one signed");
      }
      return reply;
    } catch (err) {
      const epoch = currentEpochOf(err);
      if (attempt > 0 || epoch === undefined || opts.epoch !== undefined) throw err;
      signed = resignForEpoch(opts.secretKey, signed, epoch);
    }
  }
}

async function readSource(source: string): Promise<Uint8Array> {
  if (source === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(source);
  } catch (err) {
    throw new CliError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export async function disperse(client: DisperserClient, opts: DisperseOptions, out: Output): Promise<void> {
  const data = await readSource(opts.source);
  if (data.length === 0) throw new CliError("nothing to disperse: the input is empty");
  const progress = createProgress(!out.json);
  const started = Date.now();
  progress.update(0.05, `dispersing ${formatBytes(data.length)}`);
  const request = {
    data,
    namespace: opts.namespace,
    retentionSeconds: BigInt(opts.retentionSeconds),
    preset: opts.preset,
  };
  const reply =
    opts.secretKey === undefined
      ? await client.disperseBlob(request, { timeoutMs: opts.timeoutMs })
      : await disperseSigned(client, request, { ...opts, secretKey: opts.secretKey });
  let status = reply.status;
  const key = reply.blobKey;
  const times: Record<string, number> = { [statusName(status)]: Date.now() - started };
  if (opts.wait) {
    const deadline = started + opts.timeoutMs;
    while (!isTerminal(status)) {
      progress.update(statusProgress(status), `${statusName(status)} ${hex(key).slice(0, 16)}…`);
      if (Date.now() > deadline) {
        progress.done("");
        throw new CliError(
          `timed out after ${opts.timeoutMs} ms waiting for FINALIZED (status ${statusName(status)})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
      const next = await client.getBlobStatus({ blobKey: key }, { timeoutMs: 10_000 });
      if (next.status !== status) times[statusName(next.status)] = Date.now() - started;
      status = next.status;
      if (status === BlobStatus.FAILED) {
        progress.done("");
        throw new CliError(
          `blob ${hex(key)} FAILED: ${next.failure?.code ?? "?"} ${next.failure?.message ?? ""}`.trim(),
        );
      }
    }
    progress.done(`${statusName(status)} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  }
  out.result(
    {
      blobKey: key,
      status: statusName(status),
      size: data.length,
      millisToStatus: times,
      ...(reply.header === undefined || opts.secretKey === undefined
        ? {}
        : {
            account: `0x${hex(reply.header.account)}`,
            nonce: reply.header.nonce,
            epoch: reply.header.epoch,
          }),
    },
    `${hex(key)}  ${statusName(status)}  ${formatBytes(data.length)}`,
  );
}
