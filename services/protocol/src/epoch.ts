/**
 * Epoch membership: the storage shards (who holds columns and signs batches) and consensus shards
 * (who order certificates) in force. Every protocol object names its epoch, so assignment and
 * certificate checks are always recomputable from the membership alone.
 *
 * `validateEpoch` is the gate: only a membership that passed it may be used for assignment or
 * certificate verification. It checks structure and, as the rogue-key defence required by the
 * BLS proof-of-possession scheme, every registered key's proof of possession.
 */
import { BLS_PUBLIC_KEY_BYTES, BLS_SIGNATURE_BYTES, verifyProofOfPossession } from "./bls.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";

export interface StorageShardMember {
  /** Stable id: 1-64 chars of [A-Za-z0-9._-] (ASCII, so string order == byte order). */
  readonly id: string;
  readonly endpoint: string;
  /** 48-byte compressed BLS12-381 G1 public key. */
  readonly blsPublicKey: Uint8Array;
  /** Voting weight for the >= 2/3 certificate threshold. Positive integer. */
  readonly weight: number;
  /** 96-byte PopProve(sk) for `blsPublicKey`. */
  readonly proofOfPossession: Uint8Array;
}

export interface ConsensusValidator {
  readonly id: string;
  readonly blsPublicKey: Uint8Array;
  readonly weight: number;
  readonly proofOfPossession: Uint8Array;
}

export interface ConsensusShardMember {
  readonly id: string;
  readonly validators: readonly ConsensusValidator[];
}

export interface EpochMembership {
  /** Epoch number, a non-negative safe integer. */
  readonly epoch: number;
  /** Order matters: certificate signer bitmap bit i refers to storageShards[i]. */
  readonly storageShards: readonly StorageShardMember[];
  readonly consensusShards: readonly ConsensusShardMember[];
  /** r: how many storage shards hold each column (1 <= r <= storageShards.length). */
  readonly replication: number;
  /** Extra distinct columns, beyond k, that a certificate's signers must hold for each blob. */
  readonly columnMargin: number;
}

export interface ValidateEpochOptions {
  /** Default true. Skip only for memberships already validated (e.g. re-loaded from a trusted cache). */
  readonly checkProofsOfPossession?: boolean;
}

/** Upper bound on storage shards per epoch (bitmap size, assignment cost). */
export const MAX_STORAGE_SHARDS = 1024;
export const MAX_CONSENSUS_SHARDS = 256;
export const MAX_VALIDATORS_PER_SHARD = 256;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

function fail(message: string, meta: Record<string, unknown> = {}): never {
  throw new ProtocolError(ProtocolErrorCode.invalidEpoch, message, meta);
}

function checkId(id: unknown, what: string): void {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) fail(`${what} id must match ${ID_PATTERN}`, { id });
}

function checkWeight(weight: unknown, id: string): void {
  if (typeof weight !== "number" || !Number.isSafeInteger(weight) || weight <= 0) {
    fail("weight must be a positive integer", { id, weight });
  }
}

function checkKeyShape(key: unknown, pop: unknown, id: string): void {
  if (!(key instanceof Uint8Array) || key.length !== BLS_PUBLIC_KEY_BYTES) {
    fail("blsPublicKey must be 48 bytes", { id });
  }
  if (!(pop instanceof Uint8Array) || pop.length !== BLS_SIGNATURE_BYTES) {
    fail("proofOfPossession must be 96 bytes", { id });
  }
}

function keyHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex");
}

/**
 * Throws ProtocolError(invalidEpoch) unless the membership is well formed:
 * - epoch a non-negative safe integer; replication an integer in [1, storageShards.length];
 *   columnMargin a non-negative integer;
 * - at least one storage shard and one consensus shard, each consensus shard with >= 1 validator;
 * - ids well formed and unique (storage shards; consensus shards; validators within a shard);
 * - weights positive integers whose totals are safe integers (so weight * 3 is exact);
 * - BLS keys 48 bytes and unique among storage shards (a duplicated key would count twice);
 * - every key's proof of possession verifies (ProtocolError(invalidProofOfPossession) otherwise).
 */
export function validateEpoch(epoch: EpochMembership, options: ValidateEpochOptions = {}): void {
  const checkPops = options.checkProofsOfPossession ?? true;
  if (!Number.isSafeInteger(epoch.epoch) || epoch.epoch < 0) fail("epoch must be a non-negative integer");
  const shards = epoch.storageShards;
  if (!Array.isArray(shards) || shards.length === 0) fail("at least one storage shard is required");
  if (shards.length > MAX_STORAGE_SHARDS) fail("too many storage shards", { count: shards.length });
  if (!Number.isInteger(epoch.replication) || epoch.replication < 1 || epoch.replication > shards.length) {
    fail("replication must be an integer in [1, storageShards.length]", { replication: epoch.replication });
  }
  if (!Number.isSafeInteger(epoch.columnMargin) || epoch.columnMargin < 0) {
    fail("columnMargin must be a non-negative integer", { columnMargin: epoch.columnMargin });
  }

  const storageIds = new Set<string>();
  const storageKeys = new Set<string>();
  let storageWeight = 0;
  for (const shard of shards) {
    checkId(shard.id, "storage shard");
    if (storageIds.has(shard.id)) fail("duplicate storage shard id", { id: shard.id });
    storageIds.add(shard.id);
    if (typeof shard.endpoint !== "string" || shard.endpoint.length === 0) {
      fail("storage shard endpoint must be a non-empty string", { id: shard.id });
    }
    checkWeight(shard.weight, shard.id);
    storageWeight += shard.weight;
    checkKeyShape(shard.blsPublicKey, shard.proofOfPossession, shard.id);
    const hex = keyHex(shard.blsPublicKey);
    if (storageKeys.has(hex)) fail("duplicate storage shard BLS public key", { id: shard.id });
    storageKeys.add(hex);
  }
  if (!Number.isSafeInteger(storageWeight * 3)) fail("total storage weight too large");

  const consensus = epoch.consensusShards;
  if (!Array.isArray(consensus) || consensus.length === 0) fail("at least one consensus shard is required");
  if (consensus.length > MAX_CONSENSUS_SHARDS) fail("too many consensus shards", { count: consensus.length });
  const consensusIds = new Set<string>();
  for (const cs of consensus) {
    checkId(cs.id, "consensus shard");
    if (consensusIds.has(cs.id)) fail("duplicate consensus shard id", { id: cs.id });
    consensusIds.add(cs.id);
    if (!Array.isArray(cs.validators) || cs.validators.length === 0) {
      fail("consensus shard needs at least one validator", { id: cs.id });
    }
    if (cs.validators.length > MAX_VALIDATORS_PER_SHARD) fail("too many validators", { id: cs.id });
    const validatorIds = new Set<string>();
    const validatorKeys = new Set<string>();
    let weight = 0;
    for (const v of cs.validators) {
      checkId(v.id, "validator");
      if (validatorIds.has(v.id)) fail("duplicate validator id", { shard: cs.id, id: v.id });
      validatorIds.add(v.id);
      checkWeight(v.weight, v.id);
      weight += v.weight;
      checkKeyShape(v.blsPublicKey, v.proofOfPossession, v.id);
      const hex = keyHex(v.blsPublicKey);
      if (validatorKeys.has(hex)) fail("duplicate validator BLS public key", { shard: cs.id, id: v.id });
      validatorKeys.add(hex);
    }
    if (!Number.isSafeInteger(weight * 3)) fail("total validator weight too large", { id: cs.id });
  }

  if (!checkPops) return;
  // Rogue-key defence (draft-irtf-cfrg-bls-signature-05 section 3.3): without a verified PoP an
  // attacker could register pk_a = g^x - pk_victim and forge aggregates "signed" by the victim.
  const members: { id: string; blsPublicKey: Uint8Array; proofOfPossession: Uint8Array }[] = [...shards];
  for (const cs of consensus) members.push(...cs.validators);
  for (const m of members) {
    if (!verifyProofOfPossession(m.blsPublicKey, m.proofOfPossession)) {
      throw new ProtocolError(
        ProtocolErrorCode.invalidProofOfPossession,
        "proof of possession does not verify for a registered BLS key",
        { id: m.id },
      );
    }
  }
}

/** Sum of storage shard weights. */
export function totalStorageWeight(epoch: EpochMembership): number {
  let total = 0;
  for (const s of epoch.storageShards) total += s.weight;
  return total;
}

/** Index of a storage shard in the epoch (its certificate bitmap bit), or -1. */
export function storageShardIndex(epoch: EpochMembership, shardId: string): number {
  return epoch.storageShards.findIndex((s) => s.id === shardId);
}
