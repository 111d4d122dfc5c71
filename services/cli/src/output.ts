/** Human or JSON output; JSON is one document per command on stdout, bytes as hex. */
export interface Output {
  readonly json: boolean;
  /** The command's result: a JSON document, or the human text. */
  result(value: Record<string, unknown>, human: string): void;
  /** Progress and notices for humans: stderr, silent in JSON mode. */
  note(message: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, jsonReplacer)}\n` : `${human}\n`);
    },
    note(message) {
      if (!json) process.stderr.write(`${message}\n`);
    },
  };
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (typeof value === "bigint")
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  return value;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}
