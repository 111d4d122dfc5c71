/** Plain-text aligned tables and number formatting for benchmark output. */

export interface Column {
  readonly header: string;
  /** Right-align (numbers); default left. */
  readonly right?: boolean;
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (text: string, i: number) =>
    columns[i]!.right === true ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const line = (cells: readonly string[]) =>
    cells
      .map((t, i) => cell(t, i))
      .join("  ")
      .trimEnd();
  const out = [line(columns.map((c) => c.header)), line(widths.map((w) => "-".repeat(w)))];
  for (const r of rows) out.push(line(r));
  return out.join("\n");
}

/** A number with about 3 significant digits, thousands kept whole ("1234", "56.7", "0.123"). */
export function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** A duration given in milliseconds, shown in us below 1 ms and in s from 10 s. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms < 1) return `${fmt(ms * 1e3)} us`;
  if (ms >= 10_000) return `${fmt(ms / 1e3)} s`;
  return `${fmt(ms)} ms`;
}

export function fmtBytes(n: number): string {
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** Parses "128k", "1m", "4MiB", "65536" into bytes (binary units). */
export function parseSize(s: string): number {
  const m = s.trim().match(/^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i);
  if (m === null) throw new Error(`cannot parse size "${s}" (use e.g. 128k, 1m, 16m)`);
  const unit = { "": 1, k: 1024, m: 2 ** 20, g: 2 ** 30 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}
