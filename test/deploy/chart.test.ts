/**
 * The Helm chart: `helm lint --strict` and `helm template` for every profile, every rendered
 * object valid against the Kubernetes schemas offline, and the properties the issue asks of it
 * (probes, resources, non-root read-only containers, keys from Secrets, PVCs, HPAs, PDBs, RBAC).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Manifest, parseManifests, podSpecOf, validateOffline } from "./manifests.ts";
import { CHART, PROFILES, renderChart, run, WITH_CONTROLLER } from "./tools.ts";

const SERVICES = [
  "disperser",
  "encoder",
  "attester",
  "sampler",
  "storage-shard",
  "consensus-shard",
  "controller",
];
const AUTOSCALED = ["disperser", "encoder", "attester", "sampler"];

type Container = {
  name: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  resources?: { requests?: object; limits?: object };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};

function component(m: Manifest): string | undefined {
  return m.metadata.labels?.["app.kubernetes.io/component"];
}

function containersOf(m: Manifest): Container[] {
  return (podSpecOf(m)?.containers as Container[] | undefined) ?? [];
}

describe.each(Object.keys(PROFILES))("chart, profile %s", (profile) => {
  let manifests: Manifest[];

  it("passes helm lint --strict", async () => {
    const r = await run("helm", ["lint", "--strict", CHART, ...PROFILES[profile]!]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("0 chart(s) failed");
  });

  it("renders with helm template, every object valid against the Kubernetes schemas", async () => {
    manifests = parseManifests(await renderChart(profile, WITH_CONTROLLER));
    expect(manifests.length).toBeGreaterThan(20);
    for (const m of manifests) await validateOffline(m);
  });

  it("runs every service from the one image with its service argument", () => {
    const workloads = manifests.filter((m) => podSpecOf(m) !== undefined);
    for (const service of SERVICES) {
      const own = workloads.filter((m) => component(m) === service);
      expect(own.length, service).toBeGreaterThan(0);
      for (const m of own) expect(containersOf(m)[0]!.args).toEqual([service]);
    }
    const stateful = (s: string) => workloads.filter((m) => component(m) === s).map((m) => m.kind);
    expect(new Set(stateful("storage-shard"))).toEqual(new Set(["StatefulSet"]));
    expect(new Set(stateful("consensus-shard"))).toEqual(new Set(["StatefulSet"]));
    for (const s of AUTOSCALED) expect(stateful(s)).toEqual(["Deployment"]);
  });

  it("gives storage and consensus shards PVCs, and the stateless services HPAs and PDBs", () => {
    for (const m of manifests.filter((x) => x.kind === "StatefulSet" && component(x) !== "redis")) {
      const claims = (m.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] })
        .volumeClaimTemplates;
      expect(
        claims?.map((c) => c.metadata.name),
        m.metadata.name,
      ).toEqual(["data"]);
    }
    const hpas = manifests.filter((m) => m.kind === "HorizontalPodAutoscaler").map(component);
    const pdbs = manifests.filter((m) => m.kind === "PodDisruptionBudget").map(component);
    for (const s of ["storage-shard", "consensus-shard", ...AUTOSCALED]) expect(pdbs).toContain(s);
    if (profile !== "devnet-small") expect(hpas.sort()).toEqual([...AUTOSCALED].sort());
  });

  it("probes /healthz and /readyz, bounds resources, runs non-root on a read-only root", () => {
    for (const m of manifests.filter((x) => podSpecOf(x) !== undefined)) {
      const pod = podSpecOf(m) as {
        securityContext?: { runAsNonRoot?: boolean };
        enableServiceLinks?: boolean;
      };
      expect(pod.securityContext?.runAsNonRoot, m.metadata.name).toBe(true);
      for (const c of containersOf(m)) {
        expect(c.resources?.requests, `${m.metadata.name} requests`).toBeDefined();
        expect(c.resources?.limits, `${m.metadata.name} limits`).toBeDefined();
        expect(c.securityContext?.readOnlyRootFilesystem, m.metadata.name).toBe(true);
        expect(c.securityContext?.allowPrivilegeEscalation, m.metadata.name).toBe(false);
        if (SERVICES.includes(component(m)!)) {
          expect(c.livenessProbe?.httpGet?.path).toBe("/healthz");
          expect(c.readinessProbe?.httpGet?.path).toBe("/readyz");
          // Service links would inject TRIBUTARY_<SERVICE>_PORT, an unknown key to strict config.
          expect(pod.enableServiceLinks).toBe(false);
        }
      }
    }
  });

  it("takes BLS keys from a Secret and renders no Secret or key material itself", () => {
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
    const keyed = manifests.filter((m) =>
      ["storage-shard", "consensus-shard", "sampler"].includes(component(m)!),
    );
    for (const m of keyed.filter((x) => podSpecOf(x) !== undefined)) {
      const volumes = podSpecOf(m)!.volumes as { name: string; secret?: { secretName: string } }[];
      expect(volumes.find((v) => v.name === "bls-keys")?.secret?.secretName, m.metadata.name).toBeTruthy();
    }
    // 32-byte seeds or 48-byte public keys as hex would show up as long hex runs.
    expect(JSON.stringify(manifests)).not.toMatch(/[0-9a-f]{64}/);
  });

  it("grants the controller, and only it, a ServiceAccount with a Role over the shard StatefulSets", () => {
    const role = manifests.find((m) => m.kind === "Role");
    const rules = (role as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules;
    expect(rules.some((r) => r.resources.includes("statefulsets/scale") && r.verbs.includes("patch"))).toBe(
      true,
    );
    const binding = manifests.find((m) => m.kind === "RoleBinding") as unknown as {
      subjects: { name: string }[];
    };
    const controller = manifests.find((m) => m.kind === "Deployment" && component(m) === "controller")!;
    expect(binding.subjects[0]!.name).toBe(podSpecOf(controller)!.serviceAccountName);
    for (const m of manifests.filter((x) => podSpecOf(x) !== undefined && x !== controller)) {
      expect(podSpecOf(m)!.automountServiceAccountToken, m.metadata.name).toBe(false);
    }
  });
});

describe("chart values schema", () => {
  it("rejects values the chart cannot run with", async () => {
    const bad: [string, RegExp][] = [
      ["storage.shards=0", /storage\.shards/],
      ["containerSecurityContext.readOnlyRootFilesystem=false", /readOnlyRootFilesystem/],
      ["keys.blsSecret=", /keys\.blsSecret/],
      ["preset=testnet", /preset/],
    ];
    for (const [set, message] of bad) {
      const r = await run("helm", ["template", "t", CHART, "--set", set]);
      expect(r.code, set).not.toBe(0);
      expect(r.stderr, set).toMatch(message);
    }
  });

  it("requires an external URL when the bundled NATS or Redis is off", async () => {
    const r = await run("helm", ["template", "t", CHART, "--set", "nats.bundled.enabled=false"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("nats.url is required");
    const ok = await renderChart("default", [
      "--set",
      "nats.bundled.enabled=false",
      "--set",
      "nats.url=nats://nats.infra:4222",
    ]);
    expect(ok).toContain('\\"nats://nats.infra:4222\\"');
    expect(parseManifests(ok).some((m) => component(m) === "nats")).toBe(false);
  });

  it("leaves the controller and its RBAC out unless enabled (its main loop has not shipped)", async () => {
    for (const profile of Object.keys(PROFILES)) {
      const manifests = parseManifests(await renderChart(profile));
      expect(
        manifests.some((m) => component(m) === "controller"),
        profile,
      ).toBe(false);
      expect(
        manifests.some((m) => m.kind === "Role" || m.kind === "RoleBinding"),
        profile,
      ).toBe(false);
    }
  });

  it("documents every top-level value in the chart README", () => {
    const readme = readFileSync(join(CHART, "README.md"), "utf8");
    const schema = JSON.parse(readFileSync(join(CHART, "values.schema.json"), "utf8")) as {
      properties: Record<string, unknown>;
    };
    for (const key of Object.keys(schema.properties)) expect(readme, key).toContain(`\`${key}`);
  });
});
