/**
 * Reads this shard's sample reports (`tributary.samples.<shardId>`: SampleReportBatch messages,
 * ordered consumer from the stream's start: reports live 1 h) into the SampleReportBook. A
 * report counts only if it passed and, when sampler keys are configured, its batch carries a
 * valid signature of a configured sampler (one check per batch). With no keys configured,
 * reports are accepted unsigned, with a warning per sampler id.
 */
import { fromBinary } from "@bufbuild/protobuf";
import {
  type SampleReport,
  type SampleReportBatch,
  SampleReportBatchSchema,
} from "@tributary/proto/tributary/sampler/v1/sampler";
import { verifySampleReportBatch } from "@tributary/protocol";
import type { Logger } from "@tributary/runtime";
import { DeliverPolicy, type JetStreamClient } from "nats";
import { type LaneNames, samplesStream, samplesSubject } from "./lane.ts";
import type { ConsensusShardMetrics } from "./metrics.ts";
import type { SampleReportBook } from "./sampleReportBook.ts";

export type SampleIntakeOptions = {
  readonly shardId: string;
  readonly lane: LaneNames;
  /** samplerId -> 48-byte BLS public key. Empty: accept unsigned reports (warned). */
  readonly samplerKeys: ReadonlyMap<string, Uint8Array>;
};

export class SampleIntake {
  private readonly opts: SampleIntakeOptions;
  private readonly modules: {
    logger: Logger;
    metrics: ConsensusShardMetrics;
    js: JetStreamClient;
    book: SampleReportBook;
  };
  private readonly warned = new Set<string>();
  private loop: Promise<void> | undefined;

  constructor(
    opts: SampleIntakeOptions,
    modules: { logger: Logger; metrics: ConsensusShardMetrics; js: JetStreamClient; book: SampleReportBook },
  ) {
    this.opts = opts;
    this.modules = { ...modules, logger: modules.logger.child("samples", { shard: opts.shardId }) };
  }

  async start(signal: AbortSignal): Promise<void> {
    const consumer = await this.modules.js.consumers.get(samplesStream(this.opts.lane), {
      filterSubjects: samplesSubject(this.opts.lane, this.opts.shardId),
      // StartSequence 1, not DeliverPolicy.All: nats.js 2.29 ordered consumers hang on "All" (opt_start_seq is sent with it).
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
    });
    const messages = await consumer.consume();
    signal.addEventListener("abort", () => messages.stop(), { once: true });
    this.loop = (async () => {
      for await (const m of messages) this.onReport(m.data);
    })().catch((err: unknown) => {
      if (!signal.aborted) this.modules.logger.error("Sample report reader stopped", { err });
    });
  }

  async closed(): Promise<void> {
    await this.loop;
  }

  /** Handles one encoded SampleReportBatch (exposed for tests). */
  onReport(data: Uint8Array): void {
    const { metrics, logger } = this.modules;
    let batch: SampleReportBatch;
    try {
      batch = fromBinary(SampleReportBatchSchema, data);
    } catch {
      metrics.sampleReports.inc({ result: "malformed" });
      return;
    }
    const first = batch.reports[0];
    if (first === undefined || batch.reports.some((r) => r.samplerId !== first.samplerId)) {
      metrics.sampleReports.inc({ result: "malformed" }, Math.max(1, batch.reports.length));
      return;
    }
    if (this.opts.samplerKeys.size > 0) {
      const key = this.opts.samplerKeys.get(first.samplerId);
      if (key === undefined || !verifySampleReportBatch(key, batch.reports, batch.signature)) {
        metrics.sampleReports.inc({ result: "bad_signature" }, batch.reports.length);
        logger.warn("Sample reports with an unknown sampler or a bad signature ignored", {
          sampler: first.samplerId,
          reports: batch.reports.length,
        });
        return;
      }
    } else if (!this.warned.has(first.samplerId)) {
      this.warned.add(first.samplerId);
      logger.warn("No sampler keys configured: accepting sample reports without checking signatures", {
        sampler: first.samplerId,
      });
    }
    for (const report of batch.reports) this.record(report);
  }

  private record(report: SampleReport): void {
    const { metrics, logger, book } = this.modules;
    if (!report.passed) {
      metrics.sampleReports.inc({ result: "failed" });
      logger.warn("Sampling failed for a blob; its block waits for a passing report", {
        blobKey: Buffer.from(report.blobKey).toString("hex"),
        failedCells: report.failedCells.length,
      });
      return;
    }
    metrics.sampleReports.inc({ result: "passed" });
    book.recordPassed(Buffer.from(report.blobKey).toString("hex"));
  }
}
