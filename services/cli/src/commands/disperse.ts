import { readFile } from "node:fs/promises";
import { BlobStatus, isTerminal, statusName, statusProgress } from "../blobStatus.ts";
import { CliError } from "../cliError.ts";
import type { DisperserClient } from "../disperserClient.ts";
import { formatBytes, hex, type Output } from "../output.ts";
import { createProgress } from "../progress.ts";

export interface DisperseOptions {
  readonly source: string;
  readonly namespace: Uint8Array;
  readonly retentionSeconds: number;
  readonly preset: string;
  readonly wait: boolean;
  readonly timeoutMs: number;
}

async function readSource(source: string): Promise<Uint8Array> {
  if (source === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(source);
  } catch (err) {
    throw new CliError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export async function disperse(client: DisperserClient, opts: DisperseOptions, out: Output): Promise<void> {
  const data = await readSource(opts.source);
  if (data.length === 0) throw new CliError("nothing to disperse: the input is empty");
  const progress = createProgress(!out.json);
  const started = Date.now();
  progress.update(0.05, `dispersing ${formatBytes(data.length)}`);
  const reply = await client.disperseBlob(
    { data, namespace: opts.namespace, retentionSeconds: BigInt(opts.retentionSeconds), preset: opts.preset },
    { timeoutMs: opts.timeoutMs },
  );
  let status = reply.status;
  const key = reply.blobKey;
  const times: Record<string, number> = { [statusName(status)]: Date.now() - started };
  if (opts.wait) {
    const deadline = started + opts.timeoutMs;
    while (!isTerminal(status)) {
      progress.update(statusProgress(status), `${statusName(status)} ${hex(key).slice(0, 16)}…`);
      if (Date.now() > deadline) {
        progress.done("");
        throw new CliError(
          `timed out after ${opts.timeoutMs} ms waiting for FINALIZED (status ${statusName(status)})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
      const next = await client.getBlobStatus({ blobKey: key }, { timeoutMs: 10_000 });
      if (next.status !== status) times[statusName(next.status)] = Date.now() - started;
      status = next.status;
      if (status === BlobStatus.FAILED) {
        progress.done("");
        throw new CliError(
          `blob ${hex(key)} FAILED: ${next.failure?.code ?? "?"} ${next.failure?.message ?? ""}`.trim(),
        );
      }
    }
    progress.done(`${statusName(status)} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  }
  out.result(
    { blobKey: key, status: statusName(status), size: data.length, millisToStatus: times },
    `${hex(key)}  ${statusName(status)}  ${formatBytes(data.length)}`,
  );
}
