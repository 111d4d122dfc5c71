/**
 * Collecting validators' votes on one block (pure): each vote is checked against the validator's
 * key in the block's epoch (BLS over `blockSigningMessage(hash)`); once the voters hold >= 2/3 of
 * the shard's validator weight the block is final, and its finality proof is the validator
 * bitmap (bit i = validators[i], LSB first, as in FinalityEvent) and the aggregate signature.
 */
import {
  aggregateSignatures,
  blockSigningMessage,
  bytesEqual,
  type ConsensusValidator,
  encodeSignerBitmap,
  fastAggregateVerify,
  verify,
} from "@tributary/protocol";

export type VoteResult = "accepted" | "duplicate" | "unknown_validator" | "wrong_block" | "invalid_signature";

export type FinalityProof = { readonly validatorBitmap: Uint8Array; readonly aggregateSignature: Uint8Array };

/** True iff `signed` weight is at least 2/3 of `total` (integer arithmetic). */
export function meetsTwoThirds(signed: number, total: number): boolean {
  return total > 0 && signed * 3 >= total * 2;
}

export class VoteAggregator {
  readonly blockHash: Uint8Array;
  private readonly validators: readonly ConsensusValidator[];
  private readonly message: Uint8Array;
  private readonly signatures = new Map<number, Uint8Array>();
  private readonly totalWeight: number;
  private signedWeight = 0;

  constructor(validators: readonly ConsensusValidator[], blockHash: Uint8Array) {
    this.validators = validators;
    this.blockHash = blockHash;
    this.message = blockSigningMessage(blockHash);
    this.totalWeight = validators.reduce((n, v) => n + v.weight, 0);
  }

  offer(validatorId: string, hash: Uint8Array, signature: Uint8Array): VoteResult {
    const index = this.validators.findIndex((v) => v.id === validatorId);
    if (index < 0) return "unknown_validator";
    if (!bytesEqual(hash, this.blockHash)) return "wrong_block";
    if (this.signatures.has(index)) return "duplicate";
    if (!verify(this.validators[index]!.blsPublicKey, this.message, signature)) return "invalid_signature";
    this.signatures.set(index, signature);
    this.signedWeight += this.validators[index]!.weight;
    return "accepted";
  }

  get voters(): number {
    return this.signatures.size;
  }

  get reached(): boolean {
    return meetsTwoThirds(this.signedWeight, this.totalWeight);
  }

  /** The finality proof; throws unless `reached`. */
  proof(): FinalityProof {
    if (!this.reached) throw new Error("votes below 2/3 of the validator weight");
    const indices = [...this.signatures.keys()].sort((a, b) => a - b);
    return {
      validatorBitmap: encodeSignerBitmap(indices, this.validators.length),
      aggregateSignature: aggregateSignatures(indices.map((i) => this.signatures.get(i)!)),
    };
  }
}

/** Checks a finality proof against a validator set (e.g. a FinalityEvent read back). Never throws. */
export function verifyFinality(
  validators: readonly ConsensusValidator[],
  blockHash: Uint8Array,
  proof: FinalityProof,
): boolean {
  const signers: number[] = [];
  proof.validatorBitmap.forEach((byte, i) => {
    for (let bit = 0; bit < 8; bit++) if ((byte & (1 << bit)) !== 0) signers.push(i * 8 + bit);
  });
  if (signers.some((i) => i >= validators.length)) return false;
  const total = validators.reduce((n, v) => n + v.weight, 0);
  const signed = signers.reduce((n, i) => n + validators[i]!.weight, 0);
  if (!meetsTwoThirds(signed, total)) return false;
  return fastAggregateVerify(
    signers.map((i) => validators[i]!.blsPublicKey),
    blockSigningMessage(blockHash),
    proof.aggregateSignature,
  );
}
