/**
 * The dashboard and the alerts use only metrics the services export, and docs/metrics.md is
 * what `pnpm docs:metrics` makes of the code. Names are read from the PromQL of every dashboard
 * target and alert expression, and looked up in the catalog built from services/*\/src/metrics.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type CatalogEntry,
  metricCatalog,
  renderMetricsMarkdown,
  seriesNames,
} from "../../scripts/metricsCatalog.ts";
import { DEPLOY, REPO } from "./tools.ts";

/** Series Prometheus itself adds to every scrape (the "shard down" alert uses `up`). */
const SCRAPE_SERIES = new Set(["up"]);

/** Metric names in a PromQL expression: identifiers starting tributary_, and `up`. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  return [...withoutStrings.matchAll(/\b(tributary_[a-z0-9_]+|up)\b(?!\s*[=!~(])/g)].map((m) => m[1]!);
}

function dashboardExprs(): string[] {
  type Panel = { targets?: { expr: string }[]; panels?: Panel[] };
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, "grafana/tributary.json"), "utf8")) as {
    panels: Panel[];
  };
  const walk = (panels: Panel[]): string[] =>
    panels.flatMap((p) => [...(p.targets ?? []).map((t) => t.expr), ...walk(p.panels ?? [])]);
  return walk(dashboard.panels);
}

function alertExprs(): string[] {
  const rules = parse(readFileSync(join(DEPLOY, "prometheus/alerts.yml"), "utf8")) as {
    groups: { rules: { expr: string }[] }[];
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

describe("metric references", () => {
  let catalog: CatalogEntry[];
  let exported: Set<string>;

  it("builds the catalog of every service's metrics from the code", async () => {
    catalog = await metricCatalog();
    exported = new Set(catalog.flatMap(seriesNames));
    expect(new Set(catalog.map((e) => e.service)).size).toBe(7);
    expect(exported).toContain("tributary_disperser_dispersal_duration_seconds_bucket");
  });

  it.each([
    ["dashboard", dashboardExprs],
    ["alerts", alertExprs],
  ])("every metric the %s reference is exported by a service", (_what, exprs) => {
    const used = new Set(exprs().flatMap(metricNames));
    expect(used.size).toBeGreaterThan(5);
    const missing = [...used].filter((n) => !exported.has(n) && !SCRAPE_SERIES.has(n));
    expect(missing).toEqual([]);
  });

  it.each([
    ["dashboard", dashboardExprs],
    ["alerts", alertExprs],
  ])("every label the %s match on is a label of that metric", (_what, exprs) => {
    const labelsOf = new Map<string, readonly string[]>();
    for (const e of catalog)
      for (const n of seriesNames(e)) labelsOf.set(n, n.endsWith("_bucket") ? [...e.labels, "le"] : e.labels);
    const wrong: string[] = [];
    for (const expr of exprs()) {
      for (const [, name, matchers] of expr.matchAll(/\b(tributary_[a-z0-9_]+)\{([^}]*)\}/g)) {
        for (const [, label] of matchers!.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)) {
          if (!labelsOf.get(name!)?.includes(label!)) wrong.push(`${name}{${label}}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("the controller exports the scale operations counter with the labels its alert uses", () => {
    const e = catalog.find((x) => x.name === "tributary_controller_scale_operations_total");
    expect(e).toMatchObject({ service: "controller", type: "counter", labels: ["target", "result"] });
  });

  it("catches a reference to a metric no service exports", () => {
    const names = metricNames('sum(rate(tributary_disperser_no_such_thing_total{code="OK"}[5m]))');
    expect(names).toEqual(["tributary_disperser_no_such_thing_total"]);
    expect(exported.has(names[0]!)).toBe(false);
  });

  it("the dashboard covers what SREs asked for", () => {
    const exprs = dashboardExprs().join("\n");
    for (const needed of [
      "accepted_blob_bytes_total", // ingest
      "retrieved_blob_bytes_total", // egress
      "blob_status_transitions_total", // status funnel
      "finality_latency_seconds_bucket", // latency per stage
      "sampler_samples_total", // sampling failures
      "volume_available_bytes", // storage fill
      "requests_total", // errors by code
    ]) {
      expect(exprs).toContain(needed);
    }
  });

  it("names metrics tributary_<service>_<what>_<unit>, counters as counters, histograms with buckets", () => {
    for (const e of catalog.filter((x) => !x.process)) {
      expect(e.name.startsWith(`tributary_${e.service.replace(/-/g, "_")}_`), e.name).toBe(true);
      expect(e.name.endsWith("_total"), e.name).toBe(e.type === "counter");
      if (e.type === "histogram") expect(e.buckets.length, e.name).toBeGreaterThan(3);
      // Bounded label cardinality: no label that could carry a blob key, account or namespace.
      for (const label of e.labels)
        expect(["blob", "blob_key", "account", "namespace", "key"]).not.toContain(label);
    }
  });

  it("docs/metrics.md is generated from the code (pnpm docs:metrics)", () => {
    const committed = readFileSync(join(REPO, "docs/metrics.md"), "utf8");
    expect(committed).toBe(renderMetricsMarkdown(catalog));
  });
});
