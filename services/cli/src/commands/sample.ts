import { createClient } from "@tributary/proto";
import { Sampler } from "@tributary/proto/tributary/sampler/v1/sampler";
import { hex, type Output } from "../output.ts";

/** Asks a sampler to sample one blob now and prints its (signed) report. */
export async function sample(
  address: string,
  blobKey: Uint8Array,
  confidence: number,
  out: Output,
): Promise<void> {
  const client = createClient(Sampler, address);
  try {
    const { report } = await client.sampleBlob({ blobKey, confidence }, { timeoutMs: 60_000 });
    if (report === undefined) throw new Error("the sampler returned no report");
    const doc = {
      blobKey,
      passed: report.passed,
      samples: report.samples,
      confidence: report.confidence,
      failedCells: report.failedCells.map((c) => ({ row: c.row, col: c.column, code: c.code })),
      sampler: report.samplerId,
      signature: report.signature,
    };
    out.result(
      doc,
      `${hex(blobKey)}  ${report.passed ? "AVAILABLE" : "NOT AVAILABLE"}  ${report.samples} cells sampled, confidence ${(report.confidence * 100).toFixed(3)}%${report.failedCells.length > 0 ? `, ${report.failedCells.length} failed` : ""}`,
    );
  } finally {
    client.$close();
  }
}
