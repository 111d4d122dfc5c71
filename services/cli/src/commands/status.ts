import { statusName } from "../blobStatus.ts";
import type { DisperserClient } from "../disperserClient.ts";
import { hex, type Output } from "../output.ts";

export async function status(client: DisperserClient, blobKey: Uint8Array, out: Output): Promise<void> {
  const s = await client.getBlobStatus({ blobKey }, { timeoutMs: 10_000 });
  const times = s.statusTimes.map((t) => ({ status: statusName(t.status), atMs: Number(t.atMs) }));
  const doc = {
    blobKey,
    status: statusName(s.status),
    failure: s.failure === undefined ? undefined : { code: s.failure.code, message: s.failure.message },
    size: s.header?.size,
    namespace: s.header?.namespace,
    consensusShard: s.consensusShardId || undefined,
    blockHeight: s.blockHeight > 0n ? s.blockHeight : undefined,
    blockHash: s.blockHash.length > 0 ? s.blockHash : undefined,
    certified: s.certificate !== undefined,
    statusTimes: times,
  };
  const lines = [
    `blob      ${hex(blobKey)}`,
    `status    ${doc.status}${doc.failure ? ` (${doc.failure.code}: ${doc.failure.message})` : ""}`,
    ...(doc.size !== undefined ? [`size      ${doc.size} bytes`] : []),
    ...(doc.consensusShard ? [`shard     ${doc.consensusShard}`] : []),
    ...(doc.blockHeight !== undefined ? [`block     ${doc.blockHeight} ${hex(s.blockHash)}`] : []),
    ...times.map((t) => `  ${t.status.padEnd(10)} ${new Date(t.atMs).toISOString()}`),
  ];
  out.result(doc, lines.join("\n"));
}
