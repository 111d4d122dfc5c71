import { randomBytes } from "node:crypto";
import { appendFile, cp, open, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ColumnStore, type ColumnWrite } from "../../src/columnStore.ts";
import { alignUp, DirectAppender, openDirect } from "../../src/directAppender.ts";
import { createStandaloneStorageShardMetrics } from "../../src/metrics.ts";
import { dropWritten, sha256 } from "../../src/storeFormat.ts";
import { silentLogger, tempDir } from "../fixtures/fixtures.ts";

const logger = silentLogger();
// O_DIRECT where the test directory's file system takes it (ext4, xfs; tmpfs only on Linux >= 6.6).
const directSupported = typeof (await DirectAppender.probe(tmpdir())) !== "string";
const modes = directSupported ? (["buffered", "direct"] as const) : (["buffered"] as const);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function dir(): Promise<string> {
  const d = await tempDir();
  cleanups.push(d.remove);
  return d.path;
}

async function openStore(
  dataDir: string,
  opts: Omit<Parameters<typeof ColumnStore.open>[0], "dataDir"> = {},
) {
  const metrics = createStandaloneStorageShardMetrics();
  const store = await ColumnStore.open({ dataDir, directIo: false, ...opts }, { logger, metrics });
  if (opts.directIo === true) expect(store.writeMode).toBe("direct");
  cleanups.push(() => store.close().catch(() => undefined));
  return { store, metrics };
}

function write(blob: number, column: number, bytes = 1024, expiresAtMs?: number): ColumnWrite {
  const blobKey = new Uint8Array(32).fill(blob);
  const header = new Uint8Array(116).fill(blob ^ 0x55);
  return {
    blobKey,
    header,
    expiresAtMs,
    column,
    columnRoot: new Uint8Array(32).fill(column),
    rootProof: { index: 8 + column, siblings: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] },
    data: new Uint8Array(randomBytes(bytes)),
  };
}

async function expectServed(store: ColumnStore, w: ColumnWrite): Promise<void> {
  const r = await store.readColumn(w.blobKey, w.column);
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  expect(Buffer.from(r.column.data).equals(Buffer.from(w.data))).toBe(true);
  expect(r.column.columnRoot).toEqual(w.columnRoot);
  expect(r.column.rootProof.index).toBe(w.rootProof.index);
  expect(r.column.rootProof.siblings).toEqual(w.rootProof.siblings);
  expect(r.column.header).toEqual(w.header);
}

async function metricValue(metrics: ReturnType<typeof createStandaloneStorageShardMetrics>, name: string) {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  return m?.values.reduce((s, v) => s + v.value, 0) ?? 0;
}

describe.each(modes)("ColumnStore, %s writes", (mode) => {
  const directIo = mode === "direct";

  it("round-trips columns and survives a reopen", async () => {
    const d = await dir();
    const { store } = await openStore(d, { directIo });
    const writes = [write(1, 0), write(1, 3, 4096), write(2, 5, 64)];
    const result = await store.put(writes);
    expect(result.written).toBe(3);
    for (const w of writes) await expectServed(store, w);
    expect(store.getBlob(writes[0]!.blobKey)?.columns).toEqual([0, 3]);
    expect(store.hasColumn(writes[2]!.blobKey, 5)).toBe(true);
    expect(store.hasColumn(writes[2]!.blobKey, 6)).toBe(false);
    expect(await store.readColumn(writes[2]!.blobKey, 6)).toEqual({ ok: false, reason: "column_not_found" });
    expect(await store.readColumn(new Uint8Array(32).fill(9), 0)).toEqual({
      ok: false,
      reason: "blob_not_found",
    });
    expect(store.stats()).toMatchObject({ blobs: 2, columns: 3, liveBytes: 1024 + 4096 + 64 });

    // Idempotent: the same (blobKey, column) again writes nothing.
    const again = await store.put([writes[0]!, { ...writes[1]!, data: new Uint8Array(10) }]);
    expect(again.written).toBe(0);
    expect(again.stored).toHaveLength(2);
    await store.close();

    const { store: reopened } = await openStore(d, { directIo });
    for (const w of writes) await expectServed(reopened, w);
    expect(reopened.stats()).toMatchObject({ blobs: 2, columns: 3, liveBytes: 1024 + 4096 + 64 });
    // Appends continue after reopening.
    const w4 = write(3, 1);
    await reopened.put([w4]);
    await expectServed(reopened, w4);
  });

  it("after a torn index tail, serves every fully written column and nothing else", async () => {
    const base = await dir();
    const { store } = await openStore(base, { directIo, maxSegmentBytes: 16 * 1024 });
    // Record the index size after each durable put: a column is "fully written" iff its put's
    // records end at or before the cut.
    const batches: { writes: ColumnWrite[]; indexEnd: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const writes = [write(10 + i, 0, 700 + i * 13), write(10 + i, 1, 300)];
      await store.put(writes);
      batches.push({ writes, indexEnd: (await stat(join(base, "index.log"))).size });
    }
    await store.close();
    const indexBytes = batches.at(-1)!.indexEnd;

    const cuts = [8, indexBytes - 1, indexBytes, batches[3]!.indexEnd, batches[3]!.indexEnd + 5];
    for (let i = 0; i < 15; i++) cuts.push(8 + Math.floor(Math.random() * (indexBytes - 8)));
    for (const cut of cuts) {
      const d = await dir();
      await cp(base, d, { recursive: true });
      await truncate(join(d, "index.log"), cut);
      await appendFile(join(d, "index.log"), randomBytes(1 + Math.floor(Math.random() * 200)));
      const { store: s, metrics } = await openStore(d, { directIo });
      for (const b of batches) {
        for (const w of b.writes) {
          if (b.indexEnd <= cut) {
            await expectServed(s, w);
          } else {
            // Not acknowledged: may be lost; if its own record survived, it must be intact.
            const r = await s.readColumn(w.blobKey, w.column);
            if (r.ok) expect(Buffer.from(r.column.data).equals(Buffer.from(w.data))).toBe(true);
          }
        }
      }
      expect(await metricValue(metrics, "tributary_storage_shard_corrupt_reads_total")).toBe(0);
      // The garbage was truncated away: new writes land on a clean tail and survive a reopen.
      const extra = write(99, 0);
      await s.put([extra]);
      await s.close();
      const { store: again } = await openStore(d, { directIo });
      await expectServed(again, extra);
      await again.close();
    }
  });

  it("writes a put of more parts than IOV_MAX (1024) and serves every column", async () => {
    const { store } = await openStore(await dir(), { directIo });
    const writes = Array.from({ length: 600 }, (_, c) => write(7, c, 64));
    expect((await store.put(writes)).written).toBe(600);
    for (const w of [writes[0]!, writes[511]!, writes[512]!, writes[599]!]) await expectServed(store, w);
  });

  it("records a caller's digest and re-checks every read with the digest function", async () => {
    const d = await dir();
    // A digest that depends on the header, like the shard's Merkle column root (cell size).
    const digest = (data: Uint8Array, header: Uint8Array) => sha256(Buffer.concat([header, data]));
    const { store } = await openStore(d, { directIo, digest });
    const good = write(2, 0);
    const lying = write(2, 1);
    await store.put([
      { ...good, digest: digest(good.data, good.header) },
      { ...lying, digest: new Uint8Array(32).fill(9) },
    ]);
    await expectServed(store, good);
    expect(await store.readColumn(lying.blobKey, 1)).toEqual({ ok: false, reason: "corrupt" });
    // The same bytes under the default SHA-256 digest do not verify: the function is used.
    await store.close();
    const { store: plain } = await openStore(d, { directIo });
    expect(await plain.readColumn(good.blobKey, 0)).toEqual({ ok: false, reason: "corrupt" });
  });

  it("never serves a column whose segment bytes were flipped", async () => {
    const d = await dir();
    const { store, metrics } = await openStore(d, { directIo });
    const a = write(1, 0, 2000);
    const b = write(1, 1, 2000);
    await store.put([a, b]);
    // Flip one byte inside a's data (record header is 80 bytes, a is first in the segment).
    const [segment] = await readdir(join(d, "segments"));
    const fh = await open(join(d, "segments", segment!), "r+");
    const one = Buffer.alloc(1);
    await fh.read(one, 0, 1, 80 + 1234);
    one[0] = one[0]! ^ 0x01;
    await fh.write(one, 0, 1, 80 + 1234);
    await fh.close();

    expect(await store.readColumn(a.blobKey, 0)).toEqual({ ok: false, reason: "corrupt" });
    expect(store.hasColumn(a.blobKey, 0)).toBe(false);
    expect(store.getBlob(a.blobKey)?.columns).toEqual([1]);
    await expectServed(store, b);
    expect(await metricValue(metrics, "tributary_storage_shard_corrupt_reads_total")).toBe(1);

    // A repair re-stores the column; it is served again, also after a reopen.
    expect((await store.put([a])).written).toBe(1);
    await expectServed(store, a);
    await store.close();
    const { store: reopened } = await openStore(d, { directIo });
    await expectServed(reopened, a);
    await expectServed(reopened, b);
  });
});

// Segment layout (sizes, rollover, truncation) as buffered writes lay it out.
describe("ColumnStore", () => {
  it("rolls segments at maxSegmentBytes", async () => {
    const d = await dir();
    const { store } = await openStore(d, { maxSegmentBytes: 3000 });
    const writes = Array.from({ length: 6 }, (_, i) => write(1, i, 1000));
    for (const w of writes) await store.put([w]);
    expect(store.stats().segments).toBe(3);
    for (const w of writes) await expectServed(store, w);
  });

  it("refuses writes above maxStoreBytes", async () => {
    const d = await dir();
    const { store } = await openStore(d, { maxStoreBytes: 2000 });
    await store.put([write(1, 0, 1500)]);
    await expect(store.put([write(1, 1, 1000)])).rejects.toMatchObject({ code: "STORAGE_ERROR_STORE_FULL" });
  });

  it("drops index records that point past a segment's end", async () => {
    const d = await dir();
    const { store } = await openStore(d);
    const a = write(1, 0, 1000);
    const b = write(1, 1, 1000);
    await store.put([a]);
    await store.put([b]);
    await store.close();
    const [segment] = await readdir(join(d, "segments"));
    const size = (await stat(join(d, "segments", segment!))).size;
    await truncate(join(d, "segments", segment!), size - 10);
    const { store: s, metrics } = await openStore(d);
    await expectServed(s, a);
    expect((await s.readColumn(b.blobKey, 1)).ok).toBe(false);
    expect(await metricValue(metrics, "tributary_storage_shard_recovery_dropped_records_total")).toBe(1);
  });

  it("deletes expired blobs and frees segments whose records are all dead", async () => {
    const d = await dir();
    const now = 1_000_000;
    const { store, metrics } = await openStore(d, { maxSegmentBytes: 4200, now: () => now });
    const expired = [write(1, 0, 2000, now - 1), write(1, 1, 2000, now - 1), write(2, 0, 2000, now)];
    const kept = [write(3, 0, 2000, now + 1), write(4, 0, 2000, undefined)];
    await store.put(expired.slice(0, 2)); // segment 1 (full)
    await store.put(expired.slice(2)); // segment 2
    await store.put(kept); // segment 2 then 3
    expect(store.stats().segments).toBe(3);

    const result = await store.sweepExpired(now);
    expect(result).toMatchObject({ blobs: 2, columns: 3, bytes: 6000 });
    expect(result.segmentsDeleted).toBe(1);
    expect(await readdir(join(d, "segments"))).toHaveLength(2);
    for (const w of expired) expect((await store.readColumn(w.blobKey, w.column)).ok).toBe(false);
    for (const w of kept) await expectServed(store, w);
    expect(await metricValue(metrics, "tributary_storage_shard_retained_bytes")).toBe(4000);

    // Later, the rest expires too; the active segment stays, the other one goes.
    const later = await store.sweepExpired(now + 10);
    expect(later.blobs).toBe(1);
    await store.close();

    const { store: reopened } = await openStore(d, { now: () => now + 10 });
    for (const w of [...expired, kept[0]!])
      expect((await reopened.readColumn(w.blobKey, w.column)).ok).toBe(false);
    await expectServed(reopened, kept[1]!);
    expect(reopened.stats()).toMatchObject({ blobs: 1, columns: 1 });
  });

  it("compacts an index dominated by dead records on open", async () => {
    const d = await dir();
    const now = 5_000;
    const { store } = await openStore(d, { now: () => now });
    const many = Array.from({ length: 1100 }, (_, i) =>
      write(1 + (i % 200), Math.floor(i / 200), 16, now - 1),
    );
    await store.put(many);
    const live = write(250, 0, 16, undefined);
    await store.put([live]);
    await store.sweepExpired(now);
    await store.close();
    const before = (await stat(join(d, "index.log"))).size;
    const { store: reopened } = await openStore(d, { now: () => now });
    const after = (await stat(join(d, "index.log"))).size;
    expect(after).toBeLessThan(before / 10);
    await expectServed(reopened, live);
    await reopened.close();
    const { store: again } = await openStore(d, { now: () => now });
    await expectServed(again, live);
    expect(again.stats().columns).toBe(1);
  });
});

describe("dropWritten", () => {
  const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(4), Uint8Array.of(5, 6)];
  const flat = (ps: Uint8Array[]) => ps.flatMap((p) => [...p]);

  it("keeps exactly the bytes after a short write, for every split point", () => {
    for (let n = 0; n <= 6; n++) expect(flat(dropWritten(parts, n))).toEqual([1, 2, 3, 4, 5, 6].slice(n));
  });

  it("drops whole parts without copying the rest", () => {
    const rest = dropWritten(parts, 4);
    expect(rest).toHaveLength(1);
    expect(rest[0]).toBe(parts[2]);
  });
});

describe.skipIf(!directSupported)("DirectAppender", () => {
  it("writes parts back to back across staging flushes and zero-pads to 4 KiB", async () => {
    const d = await dir();
    const appender = await DirectAppender.probe(d);
    if (typeof appender === "string") throw new Error(appender);
    const path = join(d, "segment");
    await writeFile(path, new Uint8Array(0));
    const fh = await openDirect(path);
    // 9 MiB + a few bytes: more than one 8 MiB staging buffer, an unaligned tail.
    const parts = [randomBytes(80), randomBytes(9 * 1024 * 1024), randomBytes(4093)];
    const total = parts.reduce((n, p) => n + p.length, 0);
    const end = await appender.write(fh, 4096, parts);
    await fh.close();
    expect(end).toBe(4096 + alignUp(total));
    const file = await readFile(path);
    expect(file.length).toBe(end);
    expect(file.subarray(4096, 4096 + total).equals(Buffer.concat(parts))).toBe(true);
    expect(file.subarray(4096 + total).every((b) => b === 0)).toBe(true);
    await expect(appender.write(await openDirect(path), 100, parts)).rejects.toThrow(RangeError);
  });

  it("starts every put of the store on a 4 KiB boundary", async () => {
    const d = await dir();
    const { store } = await openStore(d, { directIo: true });
    const first = write(1, 0, 1000);
    const second = write(1, 1, 1000);
    await store.put([first]);
    await store.put([second]);
    const [segment] = await readdir(join(d, "segments"));
    const file = await readFile(join(d, "segments", segment!));
    expect(file.length).toBe(8192);
    expect(file.subarray(4096, 4100).toString("ascii")).toBe("TRSR");
    await expectServed(store, second);
  });
});
