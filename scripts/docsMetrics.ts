/**
 * Writes docs/metrics.md from the code (`pnpm docs:metrics`); with `--check`, exits 1 when the
 * committed file differs from what the code generates.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { metricCatalog, renderMetricsMarkdown } from "./metricsCatalog.ts";

const target = new URL("../docs/metrics.md", import.meta.url);
const text = renderMetricsMarkdown(await metricCatalog());
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== text) {
    console.error("docs/metrics.md is stale: run `pnpm docs:metrics` and commit it");
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
}
