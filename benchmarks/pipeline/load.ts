/**
 * Load generation against the Disperser API and the per-blob timeline.
 *
 * - closed loop: C clients (one gRPC connection each) send back to back for a fixed time;
 * - open loop: arrivals at a fixed rate whatever the latency (capped in-flight);
 * - drain: after the load, GetBlobStatus on every accepted blob (oldest first) until it reached
 *   the target status, and the per-status timestamps the services recorded (`statusTimes`, the
 *   disperser's clock = this machine's clock) give each blob's time to CERTIFIED / FINALIZED
 *   without polling tightly. No status polling runs during the load, so it costs nothing there.
 *
 * Payloads come from a pre-generated pool of random buffers. Every request stamps its buffer's
 * first 16 bytes with (run nonce, sequence number) so no two requests share a request id (the
 * disperser deduplicates identical requests); a buffer is reused only after its previous request
 * finished, so the stamp never races with serialization.
 */
import { randomBytes as cryptoRandomBytes } from "node:crypto";
import { BlobStatus } from "../../proto/src/gen/tributary/common/v1/blob_pb.ts";
import {
  DisperseBlobRequestSchema,
  Disperser,
} from "../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import {
  createClient,
  encodeWithBulkBytes,
  messageSizeOptions,
  RpcError,
  type ServiceClient,
} from "../../proto/src/index.ts";
import { randomBytes } from "../lib/rng.ts";

export type DisperserClient = ServiceClient<typeof Disperser>;

const MiB = 2 ** 20;
const NAMESPACE = new Uint8Array(Buffer.from("0162656e63682d706970656c696e6500", "hex"));
const RETENTION_SECONDS = 3600n;

export function connect(address: string): DisperserClient {
  return createClient(Disperser, address, {
    channelOptions: {
      ...messageSizeOptions(64 * MiB),
      // One TCP connection per client object (grpc-js shares subchannels by default).
      "grpc.use_local_subchannel_pool": 1,
    },
  });
}

export interface BlobRecord {
  readonly size: number;
  /** Date.now() just before the call. */
  readonly sentMs: number;
  /** Date.now() when the ENCODED answer arrived. */
  ackMs?: number;
  key?: Uint8Array;
  error?: string;
  /** Last status seen, and the services' timestamps per status (ms since epoch). */
  status?: number;
  times?: Partial<Record<"ENCODED" | "CERTIFIED" | "CONFIRMED" | "FINALIZED", number>>;
}

export interface LoadResult {
  readonly records: BlobRecord[];
  readonly startMs: number;
  /** When the last request of the load finished. */
  readonly endMs: number;
  /** Open loop only: arrivals skipped because the in-flight cap was reached. */
  readonly skipped: number;
}

class PayloadPool {
  readonly #free: Uint8Array[] = [];
  readonly #nonce = cryptoRandomBytes(8);
  #seq = 0n;
  constructor(size: number, count: number) {
    for (let i = 0; i < count; i++) this.#free.push(randomBytes(size));
  }
  take(): Uint8Array | undefined {
    const buf = this.#free.pop();
    if (buf === undefined) return undefined;
    buf.set(this.#nonce, 0);
    new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setBigUint64(8, this.#seq++);
    return buf;
  }
  give(buf: Uint8Array): void {
    this.#free.push(buf);
  }
}

function describe(err: unknown): string {
  if (err instanceof RpcError) return `${err.codeName}: ${err.message.slice(0, 120)}`;
  return String(err).slice(0, 160);
}

async function disperseOne(
  client: DisperserClient,
  data: Uint8Array,
  timeoutMs: number,
): Promise<BlobRecord> {
  const rec: BlobRecord = { size: data.length, sentMs: Date.now() };
  try {
    // The blob copied once into the wire bytes: the load generator shares the machine with the
    // devnet, so its own CPU per byte matters.
    const request = encodeWithBulkBytes(
      DisperseBlobRequestSchema,
      { namespace: NAMESPACE, retentionSeconds: RETENTION_SECONDS, preset: "devnet" },
      "data",
      data,
    );
    const reply = await client.disperseBlob(request, { timeoutMs });
    rec.ackMs = Date.now();
    rec.key = reply.blobKey;
    rec.status = reply.status;
  } catch (err) {
    rec.error = describe(err);
  }
  return rec;
}

/** C clients, each sending its next blob as soon as the previous one is acknowledged. */
export async function closedLoop(
  clients: readonly DisperserClient[],
  size: number,
  seconds: number,
  requestTimeoutMs: number,
): Promise<LoadResult> {
  const pool = new PayloadPool(size, clients.length);
  const records: BlobRecord[] = [];
  const startMs = Date.now();
  const stopAt = startMs + seconds * 1e3;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < stopAt) {
        const buf = pool.take()!;
        const rec = await disperseOne(client, buf, requestTimeoutMs);
        pool.give(buf);
        records.push(rec);
        // A failing devnet answers fast; do not spin.
        if (rec.error !== undefined) await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return { records, startMs, endMs: Date.now(), skipped: 0 };
}

/** Arrivals every 1/rate seconds over `clients` round-robin, whatever the latency. */
export async function openLoop(
  clients: readonly DisperserClient[],
  size: number,
  ratePerSecond: number,
  seconds: number,
  maxInFlight: number,
  requestTimeoutMs: number,
): Promise<LoadResult> {
  const pool = new PayloadPool(size, maxInFlight);
  const records: BlobRecord[] = [];
  const pending = new Set<Promise<void>>();
  const startMs = Date.now();
  const intervalMs = 1e3 / ratePerSecond;
  const arrivals = Math.max(1, Math.floor(seconds * ratePerSecond));
  let skipped = 0;
  for (let i = 0; i < arrivals; i++) {
    const due = startMs + i * intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const buf = pool.take();
    if (buf === undefined) {
      skipped++;
      continue;
    }
    const p = disperseOne(clients[i % clients.length]!, buf, requestTimeoutMs).then((rec) => {
      pool.give(buf);
      records.push(rec);
      pending.delete(p);
    });
    pending.add(p);
  }
  await Promise.all(pending);
  return { records, startMs, endMs: Date.now(), skipped };
}

const STATUS_NAME: Record<number, "ENCODED" | "CERTIFIED" | "CONFIRMED" | "FINALIZED" | undefined> = {
  [BlobStatus.ENCODED]: "ENCODED",
  [BlobStatus.CERTIFIED]: "CERTIFIED",
  [BlobStatus.CONFIRMED]: "CONFIRMED",
  [BlobStatus.FINALIZED]: "FINALIZED",
};
const RANK: Record<number, number> = {
  [BlobStatus.QUEUED]: 0,
  [BlobStatus.ENCODED]: 1,
  [BlobStatus.CERTIFIED]: 2,
  [BlobStatus.CONFIRMED]: 3,
  [BlobStatus.FINALIZED]: 4,
};
export const TARGETS = {
  encoded: BlobStatus.ENCODED,
  certified: BlobStatus.CERTIFIED,
  finalized: BlobStatus.FINALIZED,
};

function done(rec: BlobRecord, target: number): boolean {
  const s = rec.status ?? 0;
  if (s === BlobStatus.FAILED || s === BlobStatus.EXPIRED) return true;
  return (RANK[s] ?? -1) >= (RANK[target] ?? 99);
}

export interface DrainResult {
  /** When the last blob reached the target (or the drain gave up). */
  readonly endMs: number;
  readonly timedOut: number;
  readonly polls: number;
}

/**
 * Polls accepted blobs, oldest first (a window of `window` per round, `concurrency` calls at a
 * time, a pause of `pollMs` between rounds), until each reached `target` or is terminal, or the
 * timeout. Fills `status` and `times` of every record.
 */
export async function drain(
  client: DisperserClient,
  records: readonly BlobRecord[],
  target: number,
  timeoutMs: number,
  opts: { pollMs?: number; window?: number; concurrency?: number; onProgress?: (left: number) => void } = {},
): Promise<DrainResult> {
  const pollMs = opts.pollMs ?? 200;
  const window = opts.window ?? 256;
  const concurrency = opts.concurrency ?? 16;
  let pending = records.filter((r) => r.key !== undefined).sort((a, b) => a.sentMs - b.sentMs);
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  let lastReport = 0;
  while (pending.length > 0 && Date.now() < deadline) {
    const batch = pending.slice(0, window);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, batch.length) }, async () => {
        while (next < batch.length) {
          const rec = batch[next++]!;
          try {
            const st = await client.getBlobStatus({ blobKey: rec.key! }, { timeoutMs: 10_000 });
            polls++;
            rec.status = st.status;
            const times: NonNullable<BlobRecord["times"]> = {};
            for (const t of st.statusTimes) {
              const name = STATUS_NAME[t.status];
              if (name !== undefined) times[name] = Number(t.atMs);
            }
            rec.times = times;
          } catch {
            // transient; polled again next round
          }
        }
      }),
    );
    pending = pending.filter((r) => !done(r, target));
    if (opts.onProgress !== undefined && Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      opts.onProgress(pending.length);
    }
    if (pending.length > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
  return { endMs: Date.now(), timedOut: pending.length, polls };
}
