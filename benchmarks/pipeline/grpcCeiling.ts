/**
 * The machine's raw ceiling for moving the pipeline's bytes: grpc-js over loopback, with the
 * runtime's raised HTTP/2 windows on both sides, carrying 4x the blob bytes per blob (the
 * extended square an encoder ships to storage shards is 4x the blob). Two shapes:
 *  - stream: the 4x bytes split over `streams` parallel client streams of <= 1 MiB messages
 *    (what the encoder does towards storage shards),
 *  - unary: four blob-sized unary calls in parallel (what a client does towards the disperser).
 * The sink runs in its own process. Reported: wire MB/s and blob MB/s (= wire / 4).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { grpcClientOptions } from "../../services/runtime/src/grpc.ts";
import { randomBytes } from "../lib/rng.ts";
import { processCpuSeconds } from "./procstat.ts";
import { SINK_SERVICE } from "./sinkService.ts";

const SERVER = fileURLToPath(new URL("./sinkServer.ts", import.meta.url));
const MiB = 2 ** 20;
const AMPLIFICATION = 4;

export interface CeilingRow {
  readonly shape: "stream" | "unary";
  readonly blobBytes: number;
  readonly description: string;
  readonly ops: number;
  readonly seconds: number;
  readonly wireMBps: number;
  /** Blob bytes per second this wire rate corresponds to (wire / 4). */
  readonly blobMBps: number;
  /** Client + server CPU seconds per wire GB. */
  readonly cpuSecondsPerWireGB: number;
}

async function startSink(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  child.stdout!.setEncoding("utf8");
  const [line] = (await once(child.stdout!, "data")) as [string];
  return { child, port: Number(line.trim()) };
}

function sendStream(client: Client, chunk: Buffer, total: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(
      SINK_SERVICE.stream!.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      new Metadata(),
      {},
      (err) => (err ? reject(err) : resolve()),
    );
    void (async () => {
      for (let sent = 0; sent < total; sent += chunk.length) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        if (!call.write(piece)) await once(call, "drain");
      }
      call.end();
    })().catch(reject);
  });
}

function sendUnary(client: Client, msg: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      SINK_SERVICE.unary!.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      msg,
      new Metadata(),
      {},
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

export async function grpcCeiling(
  blobSizes: readonly number[],
  secondsPerRow: number,
  streams: number,
): Promise<CeilingRow[]> {
  const { child, port } = await startSink();
  const clients = Array.from(
    { length: Math.max(streams, AMPLIFICATION) },
    () =>
      new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
        ...grpcClientOptions(),
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  const rows: CeilingRow[] = [];
  try {
    for (const blobBytes of blobSizes) {
      const wirePerOp = AMPLIFICATION * blobBytes;
      const perStream = Math.ceil(wirePerOp / streams);
      const chunk = Buffer.from(randomBytes(Math.min(MiB, perStream)));
      const message = Buffer.from(randomBytes(blobBytes));
      const shapes = [
        {
          shape: "stream" as const,
          description: `${streams} parallel client streams, ${Math.min(MiB, perStream) / 1024} KiB messages`,
          op: () => Promise.all(clients.slice(0, streams).map((c) => sendStream(c, chunk, perStream))),
        },
        {
          shape: "unary" as const,
          description: `${AMPLIFICATION} parallel unary calls of the blob size`,
          op: () => Promise.all(clients.slice(0, AMPLIFICATION).map((c) => sendUnary(c, message))),
        },
      ];
      for (const s of shapes) {
        for (let i = 0; i < 3; i++) await s.op(); // warm-up
        const cpu0 = process.cpuUsage();
        const srv0 = processCpuSeconds(child.pid!) ?? 0;
        const t0 = performance.now();
        let ops = 0;
        while (performance.now() - t0 < secondsPerRow * 1e3 || ops < 3) {
          await s.op();
          ops++;
        }
        const seconds = (performance.now() - t0) / 1e3;
        const cpu = process.cpuUsage(cpu0);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6 + ((processCpuSeconds(child.pid!) ?? 0) - srv0);
        const wire = (s.shape === "stream" ? perStream * streams : wirePerOp) * ops;
        rows.push({
          shape: s.shape,
          blobBytes,
          description: s.description,
          ops,
          seconds,
          wireMBps: wire / 1e6 / seconds,
          blobMBps: wire / AMPLIFICATION / 1e6 / seconds,
          cpuSecondsPerWireGB: cpuSeconds / (wire / 1e9),
        });
      }
    }
  } finally {
    for (const c of clients) c.close();
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  return rows;
}
