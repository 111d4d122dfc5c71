/**
 * DisperseBlob input checks and the request id (docs/pipeline.md "Blob status (Redis)"):
 *   requestId = SHA-256(namespace || account || nonce(u64 BE) || SHA-256(data) || retention(u64 BE) || preset)
 * Pure functions, no I/O.
 */
import { createHash } from "node:crypto";
import {
  ACCOUNT_BYTES,
  getPreset,
  type NetworkPreset,
  ProtocolError,
  validateNamespace,
  validateRetention,
} from "@tributary/protocol";
import type { AccountLimits } from "./accountLimits.ts";
import { type AuthInput, type ValidAuth, validateAuth } from "./authChecks.ts";
import { DisperserErrorCode, disperserError } from "./errors.ts";

/** Anonymous submissions (no `auth`) are posted as the all-zero account, nonce 0. */
export const ANONYMOUS_ACCOUNT = new Uint8Array(ACCOUNT_BYTES);

/** What DisperseBlob received, in domain form. */
export interface DisperseInput {
  readonly data: Uint8Array;
  readonly namespace: Uint8Array;
  readonly retentionSeconds: bigint;
  readonly preset: string;
  /** AccountAuth; undefined for an anonymous submission. */
  readonly auth: AuthInput | undefined;
}

/** A request that passed validation. */
export interface ValidDisperseRequest {
  readonly data: Uint8Array;
  readonly namespace: Uint8Array;
  readonly account: Uint8Array;
  readonly nonce: bigint;
  readonly retentionSeconds: number;
  readonly preset: NetworkPreset["name"];
  /** Undefined for an anonymous request. */
  readonly auth: ValidAuth | undefined;
  readonly limits: AccountLimits;
}

export type ValidationOptions = {
  preset: NetworkPreset["name"];
  /** Whether submissions without AccountAuth are accepted (config auth.allowAnonymous). */
  allowAnonymous: boolean;
  /** The account's limits (accountLimits.ts), the network's maximum blob size included. */
  limitsFor: (account: Uint8Array) => AccountLimits;
};

export function validateDisperseRequest(input: DisperseInput, opts: ValidationOptions): ValidDisperseRequest {
  if (input.auth === undefined && !opts.allowAnonymous) {
    throw disperserError(
      DisperserErrorCode.authRequired,
      "unauthenticated",
      "authentication required: this disperser accepts only signed submissions (AccountAuth)",
    );
  }
  const auth = input.auth === undefined ? undefined : validateAuth(input.auth);
  const account = auth?.account ?? ANONYMOUS_ACCOUNT;
  const limits = opts.limitsFor(account);
  const size = input.data.length;
  if (size === 0) {
    throw disperserError(
      DisperserErrorCode.blobEmpty,
      "invalid_argument",
      "blob data is empty (1 byte at least)",
    );
  }
  const max = Math.min(limits.maxBlobBytes, getPreset(opts.preset).maxBlobBytes);
  if (size > max) {
    throw disperserError(
      DisperserErrorCode.blobTooLarge,
      "too_large",
      `blob of ${size} bytes exceeds the maximum blob size of ${max} bytes`,
      { size, max },
    );
  }
  try {
    validateNamespace(input.namespace);
  } catch (err) {
    throw disperserError(
      DisperserErrorCode.invalidNamespace,
      "invalid_argument",
      err instanceof ProtocolError ? err.message : "invalid namespace",
      { length: input.namespace.length },
    );
  }
  if (input.preset !== "" && input.preset !== opts.preset) {
    throw disperserError(
      DisperserErrorCode.invalidRequest,
      "invalid_argument",
      `preset "${input.preset}" is not this network's preset "${opts.preset}"`,
    );
  }
  const retention =
    input.retentionSeconds > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(input.retentionSeconds);
  try {
    validateRetention(retention === -1 ? Number.MAX_SAFE_INTEGER : retention, limits.retention);
  } catch (err) {
    const above = retention === -1 || retention > limits.retention.maxSeconds;
    throw disperserError(
      DisperserErrorCode.invalidRetention,
      "invalid_argument",
      above
        ? `retention above the account's limit of ${limits.retention.maxSeconds} seconds`
        : err instanceof ProtocolError
          ? err.message
          : "invalid retention",
      { retentionSeconds: String(input.retentionSeconds), ...limits.retention },
    );
  }
  return {
    data: input.data,
    namespace: input.namespace,
    account,
    nonce: auth?.nonce ?? 0n,
    retentionSeconds: retention,
    preset: opts.preset,
    auth,
    limits,
  };
}

/** The request id of docs/pipeline.md: the same content from the same account is the same request. */
export function computeRequestId(
  req: Pick<ValidDisperseRequest, "data" | "namespace" | "account" | "nonce" | "retentionSeconds" | "preset">,
): Uint8Array {
  const u64 = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    return b;
  };
  const dataHash = createHash("sha256").update(req.data).digest();
  return new Uint8Array(
    createHash("sha256")
      .update(req.namespace)
      .update(req.account)
      .update(u64(req.nonce))
      .update(dataHash)
      .update(u64(BigInt(req.retentionSeconds)))
      .update(req.preset, "utf8")
      .digest(),
  );
}
