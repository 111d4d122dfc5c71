/**
 * A one-line progress bar on stderr for long work (dispersal up to FINALIZED, retrieval). Only
 * drawn on a terminal; in pipes, CI logs and JSON mode it stays silent.
 */
export interface Progress {
  update(fraction: number, label: string): void;
  done(label: string): void;
}

export function createProgress(enabled: boolean): Progress {
  const tty = enabled && process.stderr.isTTY === true;
  const width = 30;
  let last = "";
  return {
    update(fraction, label) {
      if (!tty) return;
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${label}`;
      if (line === last) return;
      last = line;
      process.stderr.write(`\r\x1b[2K${line}`);
    },
    done(label) {
      if (!tty) return;
      process.stderr.write(`\r\x1b[2K${label}\n`);
    },
  };
}
