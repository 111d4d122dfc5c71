/**
 * Reads this shard's sample reports (`tributary.samples.<shardId>`, ordered consumer from the
 * stream's start: reports live 1 h) into the SampleReportBook. A report counts only if it passed
 * and, when sampler keys are configured, carries a valid signature of a configured sampler.
 * With no keys configured, reports are accepted unsigned, with a warning per sampler id.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { SampleReportSchema } from "@tributary/proto/tributary/sampler/v1/sampler";
import { verifySampleReport } from "@tributary/protocol";
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

  /** Handles one encoded report (exposed for tests). */
  onReport(data: Uint8Array): void {
    const { metrics, logger, book } = this.modules;
    let report: ReturnType<typeof fromBinary<typeof SampleReportSchema>>;
    try {
      report = fromBinary(SampleReportSchema, data);
    } catch {
      metrics.sampleReports.inc({ result: "malformed" });
      return;
    }
    if (this.opts.samplerKeys.size > 0) {
      const key = this.opts.samplerKeys.get(report.samplerId);
      if (key === undefined || !verifySampleReport(key, report, report.signature)) {
        metrics.sampleReports.inc({ result: "bad_signature" });
        logger.warn("Sample report with an unknown sampler or a bad signature ignored", {
          sampler: report.samplerId,
        });
        return;
      }
    } else if (!this.warned.has(report.samplerId)) {
      this.warned.add(report.samplerId);
      logger.warn("No sampler keys configured: accepting sample reports without checking signatures", {
        sampler: report.samplerId,
      });
    }
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
