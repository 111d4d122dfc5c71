/**
 * The alert rules with Debian's promtool: `check rules`, the unit tests of alerts.test.yml (each
 * alert fires on its fault and stays silent on a healthy cluster), the devnet scrape config, and
 * the chart's PrometheusRule carrying exactly these rules.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifests } from "./manifests.ts";
import { DEPLOY, renderChart, run } from "./tools.ts";

const RULES = join(DEPLOY, "prometheus/alerts.yml");

type RuleFile = { groups: { rules: { alert?: string }[] }[] };

describe("promtool", () => {
  it("check rules passes on the alert rules", async () => {
    const r = await run("promtool", ["check", "rules", RULES]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("test rules fires every alert", async () => {
    const tests = join(DEPLOY, "prometheus/alerts.test.yml");
    const r = await run("promtool", ["test", "rules", tests]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Every alert name of the rules appears in a test case that expects it to fire.
    const alerts = new Set(
      (parse(readFileSync(RULES, "utf8")) as RuleFile).groups.flatMap((g) => g.rules.map((x) => x.alert)),
    );
    const fired = new Set(
      (
        parse(readFileSync(tests, "utf8")) as {
          tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
        }
      ).tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    expect([...alerts].filter((a) => !fired.has(a!))).toEqual([]);
  });

  it("test rules fails when an alert's expected firing does not happen", async () => {
    // The same suite against rules whose thresholds never trip: promtool must report failures.
    const dir = mkdtempSync(join(tmpdir(), "tributary-rules-"));
    try {
      writeFileSync(join(dir, "alerts.yml"), readFileSync(RULES, "utf8").replace(/> 0\.85/, "> 1.5"));
      copyFileSync(join(DEPLOY, "prometheus/alerts.test.yml"), join(dir, "alerts.test.yml"));
      const r = await run("promtool", ["test", "rules", join(dir, "alerts.test.yml")]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("TributaryStorageNearFull");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("check config passes on the devnet scrape config", async () => {
    const r = await run("promtool", ["check", "config", join(DEPLOY, "prometheus/prometheus-devnet.yml")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("the chart's PrometheusRule holds exactly the rules of deploy/prometheus/alerts.yml", async () => {
    const rendered = parseManifests(await renderChart("production"));
    const rule = rendered.find((m) => m.kind === "PrometheusRule");
    expect(rule?.spec).toEqual(parse(readFileSync(RULES, "utf8")));
  });
});
