/**
 * A real, minimal Kubernetes control plane on loopback for the deploy tests: etcd and
 * kube-apiserver 1.20 (scripts/deployTools.sh), token authentication, RBAC authorization, no
 * controller-manager, scheduler or kubelet. Each test file picks its own ports so files never
 * share a cluster. The API server can be restarted on the same ports and etcd data (the state
 * survives, as it does when a real control plane restarts).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Daemon, startDaemon, waitUntil } from "./daemon.ts";
import { type RunResult, requireTool, run } from "./tools.ts";

export type KubeUser = { readonly name: string; readonly token: string; readonly groups?: readonly string[] };

export const ADMIN: KubeUser = {
  name: "admin",
  token: "tributary-deploy-test-token",
  groups: ["system:masters"],
};

export type KubeClusterOptions = {
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  readonly apiserverPort: number;
  /** Users besides ADMIN (a member of system:masters); what they may do is up to RBAC. */
  readonly users?: readonly KubeUser[];
};

export type KubeCluster = {
  readonly dir: string;
  readonly server: string;
  /** A kubeconfig file for `user` (default ADMIN). */
  kubeconfig(user?: KubeUser): string;
  kubectl(args: readonly string[], opts?: { input?: string; user?: KubeUser }): Promise<RunResult>;
  /** Stops the API server (SIGTERM) and starts it again on the same port and etcd. */
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  stop(): Promise<void>;
};

export async function startKubeCluster(opts: KubeClusterOptions): Promise<KubeCluster> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-kube-"));
  const server = `https://127.0.0.1:${opts.apiserverPort}`;
  const users = [ADMIN, ...(opts.users ?? [])];
  let etcd: Daemon | undefined;
  let apiserver: Daemon | undefined;

  const kubeconfig = (user: KubeUser = ADMIN) => {
    const file = join(dir, `kubeconfig-${user.name}`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server, "insecure-skip-tls-verify": true } }],
        users: [{ name: user.name, user: { token: user.token } }],
        contexts: [{ name: "test", context: { cluster: "test", user: user.name } }],
        "current-context": "test",
      }),
    );
    return file;
  };
  const kubectl = (args: readonly string[], o: { input?: string; user?: KubeUser } = {}) =>
    run(
      "kubectl",
      ["--kubeconfig", kubeconfig(o.user), ...args],
      o.input !== undefined ? { input: o.input } : {},
    );

  const startApiserver = async () => {
    apiserver = startDaemon(
      "kube-apiserver",
      requireTool("kubeApiserver"),
      [
        `--etcd-servers=http://127.0.0.1:${opts.etcdClientPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${opts.apiserverPort}`,
        "--insecure-port=0",
        `--cert-dir=${join(dir, "certs")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        "--allow-privileged=false",
      ],
      join(dir, "kube-apiserver.log"),
    );
    await waitUntil(
      apiserver,
      async () => (await kubectl(["get", "--raw", "/readyz"])).stdout === "ok",
      120_000,
    );
  };

  const stop = async () => {
    await apiserver?.stop();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    etcd = startDaemon(
      "etcd",
      requireTool("etcd"),
      [
        "--name=deploy-test",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${opts.etcdClientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${opts.etcdClientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${opts.etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${opts.etcdPeerPort}`,
        `--initial-cluster=deploy-test=http://127.0.0.1:${opts.etcdPeerPort}`,
      ],
      join(dir, "etcd.log"),
    );
    await waitUntil(
      etcd,
      async () => (await fetch(`http://127.0.0.1:${opts.etcdClientPort}/health`)).ok,
      30_000,
    );
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    // token,user,uid,"group1,group2"
    writeFileSync(
      join(dir, "tokens.csv"),
      users.map((u) => `${u.token},${u.name},${u.name},"${(u.groups ?? []).join(",")}"\n`).join(""),
    );
    await startApiserver();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dir,
    server,
    kubeconfig,
    kubectl,
    stopApiserver: async () => {
      await apiserver?.stop();
    },
    startApiserver,
    stop,
  };
}
