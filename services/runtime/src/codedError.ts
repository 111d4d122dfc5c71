/**
 * Base for errors that carry a machine-readable code and typed metadata (Lodestar style):
 * `new CodedError({code: "STORAGE_ERROR_PROOF_INVALID", blobKey}, "Invalid proof", {cause})`.
 * The code is what callers switch on and what metrics label; the message is for humans.
 */
export class CodedError<M extends { code: string } = { code: string }> extends Error {
  readonly type: M;

  constructor(type: M, message?: string, options?: ErrorOptions) {
    super(message ?? type.code, options);
    this.name = new.target.name;
    this.type = type;
  }

  get code(): M["code"] {
    return this.type.code;
  }

  /** Metadata without the code, for structured logs. */
  getMetadata(): Omit<M, "code"> {
    const { code: _code, ...rest } = this.type;
    return rest;
  }
}
