/**
 * The external tools of the deploy tests, as scripts/deployTools.sh installs them (helm and
 * kubectl, kube-apiserver in the cache; promtool, prometheus and etcd from Debian), and small
 * helpers to run them. The tests fail, never skip, when a tool is missing: run the script.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const REPO = new URL("../../", import.meta.url).pathname;
export const CHART = join(REPO, "charts/tributary");
export const DEPLOY = join(REPO, "deploy");
const CACHE = process.env.TRIBUTARY_TOOLS_CACHE ?? join(homedir(), ".cache/tributary");

export const TOOLS = {
  helm: join(CACHE, "helm/helm"),
  kubectl: join(CACHE, "helm/kubectl"),
  kubeApiserver: join(CACHE, "kube-apiserver"),
  promtool: "/usr/bin/promtool",
  prometheus: "/usr/bin/prometheus",
  etcd: "/usr/bin/etcd",
} as const;

export function requireTool(name: keyof typeof TOOLS): string {
  const path = TOOLS[name];
  if (!existsSync(path)) throw new Error(`${name} not found at ${path}: run scripts/deployTools.sh`);
  return path;
}

export type RunResult = { code: number; stdout: string; stderr: string };

/** Runs a tool to completion; a non-zero exit is a result, not a throw, so tests can assert on it. */
export function run(
  tool: keyof typeof TOOLS,
  args: readonly string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<RunResult> {
  const child = spawn(requireTool(tool), [...args], {
    cwd: opts.cwd ?? REPO,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(opts.input ?? "");
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The chart's profiles: the defaults and the two values files users install with. */
/**
 * The controller is off by default until its main loop ships; the chart tests render it anyway,
 * so that its Deployment and RBAC stay valid and accepted by the API server.
 */
export const WITH_CONTROLLER = ["--set", "controller.enabled=true"] as const;

export const PROFILES: Record<string, readonly string[]> = {
  default: [],
  "devnet-small": ["-f", join(CHART, "values-devnet-small.yaml")],
  production: ["-f", join(CHART, "values-production.yaml")],
};

/** `helm template` of a profile; throws with helm's message when rendering fails. */
export async function renderChart(profile: string, extra: readonly string[] = []): Promise<string> {
  const r = await run("helm", [
    "template",
    "tributary",
    CHART,
    "--namespace",
    "tributary",
    ...PROFILES[profile]!,
    ...extra,
  ]);
  if (r.code !== 0) throw new Error(`helm template (${profile}) failed:\n${r.stderr}`);
  return r.stdout;
}
