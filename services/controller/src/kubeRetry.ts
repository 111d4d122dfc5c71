/**
 * Retries a Kubernetes API call while the API server is unreachable or overloaded (restarting:
 * connection refused, then 5xx until etcd is back; 429 under priority-and-fairness), with
 * exponential backoff and full jitter. 403 is retried for a shorter while: an API server that has
 * just restarted denies every request not from system:masters until its RBAC cache has synced
 * (seen in test/deploy/controller.test.ts), while a permission truly missing from the Role must
 * still fail soon and loudly. Anything else (404, 409, 422) is an answer, not an outage, and goes
 * to the caller at once.
 */
import { ApiException } from "@kubernetes/client-node";
import { backoffDelayMs, sleep } from "@tributary/runtime";
import { z } from "zod";

export const kubeRetryConfigSchema = z
  .strictObject({
    baseMs: z.number().int().positive().default(200).describe("First retry delay ceiling"),
    maxMs: z.number().int().positive().default(5_000).describe("Largest retry delay"),
    giveUpAfterMs: z
      .number()
      .int()
      .positive()
      .default(180_000)
      .describe("Stop retrying one call after this long (an API server down longer is an incident)"),
    forbiddenGiveUpAfterMs: z
      .number()
      .int()
      .nonnegative()
      .default(30_000)
      .describe("Retry 403 for this long (a restarted API server's RBAC cache is syncing)"),
  })
  .prefault({});
export type KubeRetryConfig = z.infer<typeof kubeRetryConfigSchema>;

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);

/** The HTTP status of an API answer, or undefined when there was no answer. */
export function kubeStatus(err: unknown): number | undefined {
  return err instanceof ApiException && err.code > 0 ? err.code : undefined;
}

export function isRetryableKubeError(err: unknown): boolean {
  const status = kubeStatus(err);
  if (status !== undefined) return status >= 500 || status === 429;
  // undici's fetch reports a refused or dropped connection as TypeError("fetch failed") whose
  // cause (or the cause's cause) carries the socket error code.
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR_"))) return true;
    if (e.message === "fetch failed" || e.message === "other side closed") return true;
  }
  return false;
}

export async function withKubeRetry<T>(
  call: () => Promise<T>,
  config: KubeRetryConfig,
  signal?: AbortSignal,
  onRetry?: (err: unknown, attempt: number) => void,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const elapsed = Date.now() - started;
      const retryable =
        isRetryableKubeError(err) || (kubeStatus(err) === 403 && elapsed < config.forbiddenGiveUpAfterMs);
      if (!retryable || signal?.aborted || elapsed > config.giveUpAfterMs) throw err;
      onRetry?.(err, attempt);
      await sleep(backoffDelayMs(attempt, config.baseMs, config.maxMs), signal);
    }
  }
}

/** The object `read` returns, or undefined when the API answers 404 (there is none). */
export async function undefinedIfNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (kubeStatus(err) === 404) return undefined;
    throw err;
  }
}
