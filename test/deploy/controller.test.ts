/**
 * The controller's Kubernetes actuator against a real kube-apiserver 1.20 with its own etcd
 * (kubeCluster.ts), on ports 16543 and 12479/12480. The shard objects are the chart's own
 * (devnet-small profile), and the controller talks to the API as a user bound to the chart's
 * controller Role, so these tests also prove that Role grants every call it makes.
 *
 * There is no kube-controller-manager and no kubelet: nothing would ever create pods or report
 * them ready. As envtest-style tests do, the test plays the StatefulSet controller itself: it
 * writes status.replicas, status.readyReplicas and status.observedGeneration through the status
 * subresource once the actuator has changed spec.replicas.
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { AppsV1Api, CoreV1Api, KubeConfig, type V1StatefulSet } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerState } from "../../services/controller/src/controllerState.ts";
import { KubeActuator } from "../../services/controller/src/kubeActuator.ts";
import { kubernetesConfigSchema } from "../../services/controller/src/kubernetesConfig.ts";
import { KubeStateStore } from "../../services/controller/src/kubeStateStore.ts";
import { resumeScaleOperation, startScaleOperation } from "../../services/controller/src/scaleOperation.ts";
import type { ScaleDecision } from "../../services/controller/src/scalingPolicy.ts";
import { type KubeCluster, type KubeUser, startKubeCluster } from "./kubeCluster.ts";
import { parseManifests } from "./manifests.ts";
import { renderChart, WITH_CONTROLLER } from "./tools.ts";

const NAMESPACE = "tributary";
const STORAGE = "tributary-storage";
const CONTROLLER: KubeUser = { name: "tributary-controller", token: "tributary-controller-test-token" };
const config = kubernetesConfigSchema.parse({
  namespace: NAMESPACE,
  pollMs: 200,
  retry: { baseMs: 100, maxMs: 1_000, giveUpAfterMs: 120_000 },
});
const READY_TIMEOUT = { readyTimeoutMs: 240_000 };

/** A controller with no memory: new clients, new store, everything read from the cluster. */
function newController(cluster: KubeCluster) {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfig(CONTROLLER));
  return {
    actuator: new KubeActuator(config, { kubeConfig }),
    store: new KubeStateStore(config, { kubeConfig }),
  };
}

const decision = (kind: ScaleDecision["kind"], from: number, to: number): ScaleDecision => ({
  kind,
  action: to > from ? "scaleUp" : "scaleDown",
  from,
  to,
  reason: "test",
});

/** Tracks whether a promise has settled, to check an operation is still waiting. */
function track<T>(p: Promise<T>) {
  const t = { settled: false, promise: p };
  p.then(
    () => {
      t.settled = true;
    },
    () => {
      t.settled = true;
    },
  );
  return t;
}

describe("controller Kubernetes actuator against kube-apiserver", () => {
  let cluster: KubeCluster | undefined;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  const readSts = async (name: string): Promise<V1StatefulSet | undefined> => {
    try {
      return await apps.readNamespacedStatefulSet({ name, namespace: NAMESPACE });
    } catch {
      return undefined;
    }
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const waitForReplicas = (name: string, replicas: number) =>
    waitFor(
      `${name} spec.replicas=${replicas}`,
      async () => (await readSts(name))?.spec?.replicas === replicas,
    );
  /** Plays the StatefulSet controller: `ready` pods of the current spec exist and are ready. */
  const reportReady = async (name: string, ready: number) => {
    const sts = (await readSts(name))!;
    sts.status = {
      replicas: ready,
      readyReplicas: ready,
      currentReplicas: ready,
      updatedReplicas: ready,
      observedGeneration: sts.metadata!.generation!,
    };
    await apps.replaceNamespacedStatefulSetStatus({ name, namespace: NAMESPACE, body: sts });
  };
  const storedState = async (): Promise<ControllerState> => newController(cluster!).store.load();

  beforeAll(async () => {
    cluster = await startKubeCluster({
      etcdClientPort: 12479,
      etcdPeerPort: 12480,
      apiserverPort: 16543,
      users: [CONTROLLER],
    });
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig());
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);

    // The chart's shard objects and controller Role; the Role bound to the test's controller user.
    const manifests = parseManifests(
      await renderChart("devnet-small", ["--kube-version", "1.20.2", ...WITH_CONTROLLER]),
    );
    const pick = (kind: string, name: string) =>
      manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
    const storage = pick("StatefulSet", STORAGE);
    (storage.spec as { replicas: number }).replicas = 1;
    const role = manifests.find(
      (m) => m.kind === "Role" && m.metadata.labels?.["app.kubernetes.io/component"] === "controller",
    )!;
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "controller-test" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: CONTROLLER.name }],
    };
    const objects = [
      storage,
      pick("StatefulSet", "tributary-consensus-0"),
      pick("Service", "tributary-consensus-0"),
      role,
      binding,
    ];
    for (const args of [
      ["create", "namespace", NAMESPACE],
      ["create", "-n", NAMESPACE, "-f", "-"],
    ]) {
      const input = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
      const r = await cluster.kubectl(args, { input });
      expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    await reportReady(STORAGE, 1);
    await reportReady("tributary-consensus-0", 1);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("scales the storage StatefulSet up, waits for readiness, and records it in the cluster", async () => {
    const controller = newController(cluster!);
    expect(await controller.actuator.readCount("storage")).toBe(1);
    const op = track(startScaleOperation(decision("storage", 1, 3), READY_TIMEOUT, controller));
    await waitForReplicas(STORAGE, 3);
    // Scaled but not ready: the operation waits and is recorded as in progress.
    await sleep(1_000);
    expect(op.settled).toBe(false);
    expect((await storedState()).operation).toMatchObject({ kind: "storage", from: 1, to: 3 });
    await reportReady(STORAGE, 3);
    const done = await op.promise;
    const state = await storedState();
    expect(state.operation).toBeUndefined();
    expect(state.counts.storage).toBe(3);
    expect(state.lastActionAtMs.storage).toBeGreaterThanOrEqual(done.startedAtMs);
  });

  it("scales down and completes across an API server restart", async () => {
    const controller = newController(cluster!);
    const op = track(startScaleOperation(decision("storage", 3, 2), READY_TIMEOUT, controller));
    await waitForReplicas(STORAGE, 2);
    await cluster!.stopApiserver();
    // The actuator's readiness polls now meet a refused connection for a while.
    await sleep(3_000);
    expect(op.settled).toBe(false);
    await cluster!.startApiserver();
    await reportReady(STORAGE, 2);
    await op.promise;
    expect((await storedState()).counts.storage).toBe(2);
    expect((await readSts(STORAGE))!.spec!.replicas).toBe(2);
  });

  it("a new controller resumes an operation whose controller process was killed", async () => {
    // The first controller is its own process, killed (SIGKILL) while it waits for readiness.
    const child = spawn(
      process.execPath,
      [
        new URL("fixtures/controllerScaleOnce.ts", import.meta.url).pathname,
        cluster!.kubeconfig(CONTROLLER),
        "storage",
        "2",
        "4",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await waitForReplicas(STORAGE, 4);
      expect(child.exitCode, stderr).toBeNull();
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    const interrupted = (await storedState()).operation;
    expect(interrupted).toMatchObject({ kind: "storage", from: 2, to: 4 });
    expect((await storedState()).counts.storage).toBe(2);

    const resumed = track(resumeScaleOperation(READY_TIMEOUT, newController(cluster!)));
    await sleep(1_000);
    expect(resumed.settled).toBe(false);
    await reportReady(STORAGE, 4);
    expect((await resumed.promise)?.id).toBe(interrupted!.id);
    const state = await storedState();
    expect(state.operation).toBeUndefined();
    expect(state.counts.storage).toBe(4);
    // Nothing left to resume.
    expect(await resumeScaleOperation(READY_TIMEOUT, newController(cluster!))).toBeUndefined();
  });

  it("adds a consensus shard from shard 0's objects and removes it by scaling it to zero", async () => {
    const controller = newController(cluster!);
    expect(await controller.actuator.readCount("consensus")).toBe(1);
    const up = track(startScaleOperation(decision("consensus", 1, 2), READY_TIMEOUT, controller));
    await waitForReplicas("tributary-consensus-1", 1);
    const added = (await readSts("tributary-consensus-1"))!;
    expect(added.spec!.serviceName).toBe("tributary-consensus-1");
    expect(added.spec!.selector.matchLabels!["tributary.io/consensus-shard"]).toBe("consensus-1");
    expect(added.spec!.template.metadata!.labels!["tributary.io/consensus-shard"]).toBe("consensus-1");
    const env = added.spec!.template.spec!.containers[0]!.env!;
    expect(env.find((e) => e.name === "TRIBUTARY_CONSENSUS_SHARD_SHARD_ID")?.value).toBe("consensus-1");
    const service = await core.readNamespacedService({ name: "tributary-consensus-1", namespace: NAMESPACE });
    expect(service.spec!.selector!["tributary.io/consensus-shard"]).toBe("consensus-1");
    expect(up.settled).toBe(false);
    await reportReady("tributary-consensus-1", 1);
    await up.promise;
    expect(await controller.actuator.readCount("consensus")).toBe(2);

    const down = track(startScaleOperation(decision("consensus", 2, 1), READY_TIMEOUT, controller));
    await waitForReplicas("tributary-consensus-1", 0);
    await reportReady("tributary-consensus-1", 0);
    await down.promise;
    expect(await controller.actuator.readCount("consensus")).toBe(1);
    expect((await readSts("tributary-consensus-0"))!.spec!.replicas).toBe(1);
    expect((await storedState()).counts).toEqual({ storage: 4, consensus: 1 });
  });

  it("the chart's Role grants the controller no more than it uses", async () => {
    const can = async (...args: string[]) =>
      (
        await cluster!.kubectl(["auth", "can-i", "-n", NAMESPACE, ...args], { user: CONTROLLER })
      ).stdout.trim();
    expect(await can("patch", "statefulsets", "--subresource=scale")).toBe("yes");
    expect(await can("delete", "statefulsets")).toBe("no");
    expect(await can("update", "statefulsets")).toBe("no");
    expect(await can("get", "secrets")).toBe("no");
    expect(await can("update", "configmaps/other")).toBe("no");
    expect(await can("update", "configmaps/tributary-controller-state")).toBe("yes");
  });
});
