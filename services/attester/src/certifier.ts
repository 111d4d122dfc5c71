/**
 * Certifying one batch: ask every storage shard of the epoch to SignBatch in parallel (each call
 * bounded by `signTimeoutMs`), gather the signatures (SignatureCollector verifies them, together
 * first, one by one only if that fails), and stop as soon as they make a certificate. Shards that failed or did not answer are asked again every `retryIntervalMs`
 * until `certificateTimeoutMs` has passed; then the batch fails (the caller naks its events so
 * they are redelivered; nothing is acked without a certificate).
 *
 * I/O goes through the injected `BatchSigner`, so this runs in unit tests without sockets.
 */
import type { Certificate, EpochMembership } from "@tributary/protocol";
import type { Logger } from "@tributary/runtime";
import { sleep } from "@tributary/runtime";
import type { BatchPlan, ShardSignRequest } from "./batchPlan.ts";
import { SignatureCollector } from "./signatureCollector.ts";

/** One storage shard's SignBatch call: resolves to its signature, rejects on any failure. */
export interface BatchSigner {
  signBatch(
    plan: BatchPlan,
    request: ShardSignRequest,
    opts: { readonly timeoutMs: number; readonly signal: AbortSignal },
  ): Promise<Uint8Array>;
}

export type CertifierOptions = {
  /** Deadline of one SignBatch call. */
  readonly signTimeoutMs: number;
  /** Give up on the batch after this long. */
  readonly certificateTimeoutMs: number;
  /** Pause between rounds that ask the shards still missing. */
  readonly retryIntervalMs: number;
};

export type CertifyResult =
  | {
      readonly ok: true;
      readonly certificate: Certificate;
      readonly signers: number;
      readonly rounds: number;
    }
  | { readonly ok: false; readonly reason: string; readonly signers: number; readonly rounds: number };

export async function certifyBatch(
  plan: BatchPlan,
  epoch: EpochMembership,
  opts: CertifierOptions,
  modules: { readonly signer: BatchSigner; readonly logger: Logger; readonly signal?: AbortSignal },
): Promise<CertifyResult> {
  const { signer, logger } = modules;
  const collector = new SignatureCollector(epoch, plan.header, plan.certifiedBlobs);
  const deadline = Date.now() + opts.certificateTimeoutMs;
  const batchRootHex = Buffer.from(plan.header.batchRoot).toString("hex");
  let rounds = 0;
  for (;;) {
    if (modules.signal?.aborted) {
      return { ok: false, reason: "shutting down", signers: collector.signerCount, rounds };
    }
    rounds++;
    const remaining = deadline - Date.now();
    const roundAbort = new AbortController();
    const onOuterAbort = () => roundAbort.abort();
    modules.signal?.addEventListener("abort", onOuterAbort, { once: true });
    let certificate: Certificate | undefined;
    const timeoutMs = Math.max(1, Math.min(opts.signTimeoutMs, remaining));
    const calls = collector.missing().map(async (shardIndex) => {
      const request = plan.requests[shardIndex]!;
      try {
        const signature = await signer.signBatch(plan, request, { timeoutMs, signal: roundAbort.signal });
        if (certificate !== undefined) return;
        if (collector.offer(shardIndex, signature) !== "accepted") return;
        const attempt = collector.tryCertificate();
        for (const bad of attempt.invalid) {
          logger.warn("Storage shard returned an invalid batch signature", {
            shard: plan.requests[bad]?.shardId,
            batchRoot: batchRootHex,
          });
        }
        certificate = attempt.certificate;
        if (certificate !== undefined) roundAbort.abort();
      } catch (err) {
        if (certificate !== undefined || roundAbort.signal.aborted) return;
        logger.debug("SignBatch failed", { shard: request.shardId, batchRoot: batchRootHex, err });
      }
    });
    await Promise.all(calls);
    modules.signal?.removeEventListener("abort", onOuterAbort);
    const done = certificate as Certificate | undefined;
    if (done !== undefined) return { ok: true, certificate: done, signers: collector.signerCount, rounds };
    const left = deadline - Date.now();
    if (left <= 0) {
      const failure = collector.lastFailure;
      const reason = failure !== undefined && !failure.ok ? failure.reason : "signer weight below 2/3";
      return { ok: false, reason, signers: collector.signerCount, rounds };
    }
    await sleep(Math.min(opts.retryIntervalMs, left), modules.signal);
  }
}
