import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { CliError } from "../cliError.ts";
import type { DisperserClient } from "../disperserClient.ts";
import { formatBytes, hex, type Output } from "../output.ts";
import { createProgress } from "../progress.ts";

/** Streams a blob to `outputPath` (or stdout), checking offsets and the total size. */
export async function retrieve(
  client: DisperserClient,
  blobKey: Uint8Array,
  outputPath: string | undefined,
  out: Output,
): Promise<void> {
  const sink = outputPath === undefined ? process.stdout : createWriteStream(outputPath);
  const progress = createProgress(!out.json && outputPath !== undefined);
  let total: number | undefined;
  let received = 0;
  const started = Date.now();
  for await (const msg of client.retrieveBlob({ blobKey }, { timeoutMs: 120_000 })) {
    if (msg.part.case === "start") {
      total = Number(msg.part.value.totalSize);
    } else if (msg.part.case === "chunk") {
      if (total === undefined || Number(msg.part.value.offset) !== received) {
        throw new CliError("retrieval stream out of order (chunk before start, or a gap)");
      }
      received += msg.part.value.data.length;
      if (!sink.write(msg.part.value.data)) await once(sink, "drain");
      progress.update(received / total, `${formatBytes(received)} of ${formatBytes(total)}`);
    }
  }
  if (total === undefined || received !== total) {
    throw new CliError(`retrieval ended early: ${received} of ${total ?? "?"} bytes`);
  }
  if (sink !== process.stdout) {
    sink.end();
    await once(sink, "finish");
  }
  progress.done(`retrieved ${formatBytes(received)} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  if (outputPath !== undefined || out.json) {
    const doc = { blobKey, size: received, output: outputPath ?? "-" };
    const line = `${hex(blobKey)}  ${formatBytes(received)} -> ${outputPath}`;
    if (out.json && outputPath === undefined)
      process.stderr.write(`${JSON.stringify({ ...doc, blobKey: hex(blobKey) })}\n`);
    else out.result(doc, line);
  }
}
