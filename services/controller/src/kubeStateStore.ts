/**
 * The controller's state in a ConfigMap (key `state.json`) in the release's namespace, so that it
 * lives as long as the cluster and a controller on any node resumes from it. Writes carry the
 * resourceVersion last read (optimistic concurrency): a second controller writing at the same
 * time gets a conflict instead of silently overwriting. A write whose answer was lost to an API
 * server restart is retried; if the retry conflicts because the first attempt went through, the
 * stored state is already the one wanted and the write counts as done.
 */
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { CodedError } from "@tributary/runtime";
import {
  type ControllerState,
  type ControllerStateStore,
  controllerStateSchema,
  EMPTY_STATE,
} from "./controllerState.ts";
import { kubeStatus, undefinedIfNotFound, withKubeRetry } from "./kubeRetry.ts";
import type { KubernetesConfig } from "./kubernetesConfig.ts";

const KEY = "state.json";

export class StateConflictError extends CodedError<{
  code: "CONTROLLER_ERROR_STATE_CONFLICT";
  configMap: string;
}> {}

export class KubeStateStore implements ControllerStateStore {
  private readonly core: CoreV1Api;
  private readonly opts: KubernetesConfig;
  /** resourceVersion of the ConfigMap as last read or written; undefined: it does not exist. */
  private resourceVersion: string | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(opts: KubernetesConfig, modules: { kubeConfig: KubeConfig; signal?: AbortSignal }) {
    this.opts = opts;
    this.core = modules.kubeConfig.makeApiClient(CoreV1Api);
    this.signal = modules.signal;
  }

  async load(): Promise<ControllerState> {
    const cm = await this.read();
    this.resourceVersion = cm?.metadata?.resourceVersion;
    const text = cm?.data?.[KEY];
    return text === undefined ? EMPTY_STATE : controllerStateSchema.parse(JSON.parse(text));
  }

  async save(state: ControllerState): Promise<void> {
    const text = JSON.stringify(controllerStateSchema.parse(state));
    const { namespace, stateConfigMap: name } = this.opts;
    const body: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        ...(this.resourceVersion !== undefined ? { resourceVersion: this.resourceVersion } : {}),
        labels: { "app.kubernetes.io/component": "controller" },
      },
      data: { [KEY]: text },
    };
    try {
      const written = await withKubeRetry(
        () =>
          this.resourceVersion === undefined
            ? this.core.createNamespacedConfigMap({ namespace, body })
            : this.core.replaceNamespacedConfigMap({ name, namespace, body }),
        this.opts.retry,
        this.signal,
      );
      this.resourceVersion = written.metadata?.resourceVersion;
    } catch (err) {
      if (kubeStatus(err) !== 409) throw err;
      const current = await this.read();
      if (current?.data?.[KEY] === text) {
        this.resourceVersion = current.metadata?.resourceVersion;
        return;
      }
      throw new StateConflictError(
        { code: "CONTROLLER_ERROR_STATE_CONFLICT", configMap: name },
        `ConfigMap ${name} changed under this controller (another controller running?)`,
        { cause: err },
      );
    }
  }

  private read(): Promise<V1ConfigMap | undefined> {
    const { namespace, stateConfigMap: name } = this.opts;
    return withKubeRetry(
      () => undefinedIfNotFound(() => this.core.readNamespacedConfigMap({ name, namespace })),
      this.opts.retry,
      this.signal,
    );
  }
}
