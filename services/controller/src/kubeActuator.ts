/**
 * The Kubernetes actuator: shard counts are StatefulSet replica counts, laid out as the chart
 * renders them (charts/tributary):
 * - storage shards: one StatefulSet, <fullname>-storage, pod N is shard storage-N; the count is
 *   its replicas, changed through the scale subresource (scale-down removes the highest
 *   ordinals, which is why shard ids follow ordinals);
 * - consensus shards: one StatefulSet per shard, <fullname>-consensus-<s>, whose replicas are the
 *   shard's validators. Adding shard s creates its StatefulSet and headless Service from shard
 *   0's (consensusShardTemplate.ts); removing it scales its StatefulSet to 0 replicas and keeps
 *   the object and its volumes, so adding it again is a scale back up. The count is the number
 *   of leading shards 0, 1, ... with replicas > 0.
 * Ready means status.observedGeneration caught up with the spec and status.replicas and
 * status.readyReplicas both equal the replicas asked for.
 * Every call goes through withKubeRetry: an API server restart is waited out, not fatal.
 */
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1StatefulSet,
} from "@kubernetes/client-node";
import { sleep } from "@tributary/runtime";
import type { Actuator } from "./actuator.ts";
import { consensusServiceFrom, consensusStatefulSetFrom } from "./consensusShardTemplate.ts";
import { kubeStatus, undefinedIfNotFound, withKubeRetry } from "./kubeRetry.ts";
import type { KubernetesConfig } from "./kubernetesConfig.ts";
import type { ResourceKind } from "./scalingPolicy.ts";

/** A StatefulSet's readiness for `replicas`, from what the StatefulSet controller reported. */
export function isStatefulSetReady(sts: V1StatefulSet, replicas: number): boolean {
  const s = sts.status;
  return (
    sts.spec?.replicas === replicas &&
    (s?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0) &&
    (s?.replicas ?? 0) === replicas &&
    (s?.readyReplicas ?? 0) === replicas
  );
}

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class KubeActuator implements Actuator {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly opts: KubernetesConfig;

  constructor(opts: KubernetesConfig, modules: { kubeConfig: KubeConfig }) {
    this.opts = opts;
    this.apps = modules.kubeConfig.makeApiClient(AppsV1Api);
    this.core = modules.kubeConfig.makeApiClient(CoreV1Api);
  }

  async readCount(kind: ResourceKind, signal?: AbortSignal): Promise<number> {
    if (kind === "storage")
      return (await this.readStatefulSet(this.opts.storageStatefulSet, signal))?.spec?.replicas ?? 0;
    let count = 0;
    for (;;) {
      const sts = await this.readStatefulSet(this.consensusName(count), signal);
      if (sts === undefined || (sts.spec?.replicas ?? 0) === 0) return count;
      count++;
    }
  }

  async scaleTo(kind: ResourceKind, count: number, signal?: AbortSignal): Promise<void> {
    if (kind === "storage") return this.scaleStatefulSet(this.opts.storageStatefulSet, count, signal);
    const template = await this.readStatefulSet(this.consensusName(0), signal);
    if (template === undefined)
      throw new Error(`consensus shard 0 (${this.consensusName(0)}) not found: install the chart first`);
    const validators = template.spec?.replicas ?? 0;
    for (let s = 0; s < count; s++) {
      const name = this.consensusName(s);
      const sts = await this.readStatefulSet(name, signal);
      if (sts === undefined) await this.createConsensusShard(template, name, s, signal);
      else if (sts.spec?.replicas !== validators) await this.scaleStatefulSet(name, validators, signal);
    }
    // Shards past the count stop; their objects and volumes stay (their blocks live in JetStream).
    for (let s = count; ; s++) {
      const sts = await this.readStatefulSet(this.consensusName(s), signal);
      if (sts === undefined) return;
      if ((sts.spec?.replicas ?? 0) !== 0) await this.scaleStatefulSet(this.consensusName(s), 0, signal);
    }
  }

  async waitReady(kind: ResourceKind, count: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const expected = await this.expectedReplicas(kind, count, signal);
    for (;;) {
      const pending: string[] = [];
      for (const [name, replicas] of expected) {
        const sts = await this.readStatefulSet(name, signal);
        if (sts === undefined || !isStatefulSetReady(sts, replicas)) pending.push(name);
      }
      if (pending.length === 0) return;
      if (signal?.aborted) throw signal.reason;
      if (Date.now() > deadline) {
        throw new Error(`${kind} shards not ready after ${timeoutMs} ms: ${pending.join(", ")}`);
      }
      await sleep(this.opts.pollMs, signal);
    }
  }

  /** StatefulSet name -> replicas it must have ready for `count` shards of `kind`. */
  private async expectedReplicas(
    kind: ResourceKind,
    count: number,
    signal?: AbortSignal,
  ): Promise<Map<string, number>> {
    if (kind === "storage") return new Map([[this.opts.storageStatefulSet, count]]);
    const validators = (await this.readStatefulSet(this.consensusName(0), signal))?.spec?.replicas ?? 0;
    const expected = new Map<string, number>();
    for (let s = 0; ; s++) {
      const name = this.consensusName(s);
      if (s >= count && (await this.readStatefulSet(name, signal)) === undefined) return expected;
      expected.set(name, s < count ? validators : 0);
    }
  }

  private consensusName(shard: number): string {
    return `${this.opts.consensusStatefulSetPrefix}${shard}`;
  }

  private retry<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withKubeRetry(call, this.opts.retry, signal);
  }

  /** The StatefulSet, or undefined when there is none (404). */
  private readStatefulSet(name: string, signal?: AbortSignal): Promise<V1StatefulSet | undefined> {
    const namespace = this.opts.namespace;
    return this.retry(
      () => undefinedIfNotFound(() => this.apps.readNamespacedStatefulSet({ name, namespace })),
      signal,
    );
  }

  private async scaleStatefulSet(name: string, replicas: number, signal?: AbortSignal): Promise<void> {
    const namespace = this.opts.namespace;
    await this.retry(
      () =>
        this.apps.patchNamespacedStatefulSetScale(
          { name, namespace, body: { spec: { replicas } } },
          MERGE_PATCH,
        ),
      signal,
    );
  }

  private async createConsensusShard(
    template: V1StatefulSet,
    name: string,
    shard: number,
    signal?: AbortSignal,
  ) {
    const namespace = this.opts.namespace;
    // A retry after a create that went through but whose answer was lost sees 409: already done.
    const createOnce = (create: () => Promise<unknown>) =>
      this.retry(async () => {
        try {
          await create();
        } catch (err) {
          if (kubeStatus(err) !== 409) throw err;
        }
      }, signal);
    const service = await this.retry(
      () =>
        undefinedIfNotFound(() =>
          this.core.readNamespacedService({ name: this.consensusName(0), namespace }),
        ),
      signal,
    );
    if (service !== undefined) {
      const body = consensusServiceFrom(service, name, shard);
      await createOnce(() => this.core.createNamespacedService({ namespace, body }));
    }
    const body = consensusStatefulSetFrom(template, name, shard);
    await createOnce(() => this.apps.createNamespacedStatefulSet({ namespace, body }));
  }
}
