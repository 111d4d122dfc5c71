/**
 * How much the hostile-input tier (vitest project `faults`) runs, and with which seed.
 *
 *   FUZZ_CASES           decoder cases over all message types (default 100,000: the CI budget)
 *   FUZZ_HANDLER_CASES   gRPC calls per rpc method (default FUZZ_CASES / 100, at least 50)
 *   FUZZ_SEED            base seed (default fixed, so CI runs are reproducible)
 *
 * Every property derives its own seed from the base seed and its name, so adding a message type
 * or a method does not change the cases the others draw. A failure carries `replayHint()`: the
 * same variables replay the same cases.
 */

const DEFAULT_DECODER_CASES = 100_000;
const DEFAULT_SEED = 0x7a1b_c0de;

function readCount(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Decoder cases over all message types. */
export const FUZZ_CASES = readCount("FUZZ_CASES", DEFAULT_DECODER_CASES);

/** gRPC calls per method: one loopback call costs about as much as a thousand decodes. */
export const FUZZ_HANDLER_CASES = readCount("FUZZ_HANDLER_CASES", Math.max(50, Math.round(FUZZ_CASES / 100)));

export const FUZZ_SEED = readSeed();

function readSeed(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error("FUZZ_SEED must be an integer");
  return value | 0;
}

/** A property's seed: FNV-1a of its name, mixed with the base seed. */
export function seedFor(name: string): number {
  let hash = 0x811c9dc5 ^ FUZZ_SEED;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/** The environment that replays a run, for failure messages. */
export function replayHint(): string {
  return `replay with FUZZ_SEED=${FUZZ_SEED} FUZZ_CASES=${FUZZ_CASES} FUZZ_HANDLER_CASES=${FUZZ_HANDLER_CASES}`;
}

/** Runs a fast-check assertion; a failure's message gains the replay hint. */
export async function withReplayHint<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Error) err.message = `${err.message}\n${replayHint()}`;
    throw err;
  }
}
