/**
 * The chart's manifests accepted by a real kube-apiserver: a server-side dry run of every object
 * of every profile against kube-apiserver 1.20 (built from Debian's source package by
 * scripts/deployTools.sh) with its own etcd, on ports 16443 and 12379/12380. The chart is
 * rendered for that version (HPA autoscaling/v2beta2, PDB policy/v1beta1). kubectl checks every
 * field against the server's OpenAPI schema, and since a 1.20 server itself drops unknown fields
 * silently, every field sent is also checked to come back in the dry-run result.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeCluster, startKubeCluster } from "./kubeCluster.ts";
import { parseManifests } from "./manifests.ts";
import { PROFILES, renderChart, WITH_CONTROLLER } from "./tools.ts";

const NAMESPACE = "tributary";
/** Everything the chart can render: monitoring objects on. */
const ALL_ON = [
  ...WITH_CONTROLLER,
  "--kube-version",
  "1.20.2",
  "--set",
  "monitoring.serviceMonitor.enabled=true",
  "--set",
  "monitoring.prometheusRule.enabled=true",
  "--set",
  "monitoring.grafanaDashboard.enabled=true",
];

/** Paths of every leaf in `sent` that `stored` lacks (the server dropped an unknown field). */
function droppedFields(sent: unknown, stored: unknown, path = ""): string[] {
  if (sent === null || typeof sent !== "object") return [];
  if (stored === null || typeof stored !== "object") return [path];
  const out: string[] = [];
  for (const [key, value] of Object.entries(sent)) {
    const next = Array.isArray(sent) ? `${path}[${key}]` : `${path}.${key}`;
    if (!(key in (stored as object))) out.push(next);
    else out.push(...droppedFields(value, (stored as Record<string, unknown>)[key], next));
  }
  return out;
}

describe("kube-apiserver server-side dry run", () => {
  let cluster: KubeCluster | undefined;
  let dir: string;
  const kubectl = (args: string[]) => cluster!.kubectl(args);

  beforeAll(async () => {
    cluster = await startKubeCluster({ etcdClientPort: 12379, etcdPeerPort: 12380, apiserverPort: 16443 });
    dir = cluster.dir;
    // Namespaced objects need their namespace, and the monitoring objects their CRDs, for real.
    for (const args of [
      ["create", "namespace", NAMESPACE],
      ["apply", "-f", new URL("fixtures/prometheus-operator-crds.yaml", import.meta.url).pathname],
      ["wait", "--for=condition=established", "--timeout=60s", "crd", "--all"],
    ]) {
      const r = await kubectl(args);
      expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each(Object.keys(PROFILES))("accepts every object of profile %s", async (profile) => {
    const rendered = await renderChart(profile, ALL_ON);
    const file = join(dir, `${profile}.yaml`);
    writeFileSync(file, rendered);
    const sent = parseManifests(rendered);
    const r = await kubectl(["create", "--dry-run=server", "-n", NAMESPACE, "-f", file, "-o", "yaml"]);
    expect(r.code, r.stderr).toBe(0);
    // One YAML document per object, as the server would have stored it.
    const stored = parseManifests(r.stdout);
    expect(stored.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(
      sent.map((m) => `${m.kind}/${m.metadata.name}`),
    );
    // The HPA and PDB API versions of 1.20, which has neither autoscaling/v2 nor policy/v1.
    expect(sent.find((m) => m.kind === "HorizontalPodAutoscaler")?.apiVersion ?? "autoscaling/v2beta2").toBe(
      "autoscaling/v2beta2",
    );
    expect(sent.find((m) => m.kind === "PodDisruptionBudget")?.apiVersion).toBe("policy/v1beta1");
    for (const [i, m] of sent.entries()) {
      expect(droppedFields(m, stored[i]), `${m.kind}/${m.metadata.name}`).toEqual([]);
    }
  });

  it("rejects an invalid object, so acceptance means something", async () => {
    const file = join(dir, "bad.yaml");
    const rendered = parseManifests(await renderChart("devnet-small", ALL_ON));
    const sts = rendered.find((m) => m.kind === "StatefulSet")!;
    (sts.spec as { replicas: number }).replicas = -1;
    writeFileSync(file, JSON.stringify(sts));
    const r = await kubectl(["create", "--dry-run=server", "-n", NAMESPACE, "-f", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/replicas/);
  });

  it("refuses a misspelt field (checked against the server's own OpenAPI schema)", async () => {
    const file = join(dir, "unknown-field.yaml");
    const service = parseManifests(await renderChart("devnet-small", ALL_ON)).find(
      (m) => m.kind === "Service",
    )!;
    (service.spec as Record<string, unknown>).clusterIp = "None";
    writeFileSync(file, JSON.stringify(service));
    const r = await kubectl(["create", "--dry-run=server", "-n", NAMESPACE, "-f", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "clusterIp"');
  });
});
