/** Where the controller finds its shards and keeps its state in a Kubernetes cluster (chart names). */
import { z } from "zod";
import { kubeRetryConfigSchema } from "./kubeRetry.ts";

export const kubernetesConfigSchema = z
  .strictObject({
    namespace: z.string().min(1).default("tributary").describe("Namespace of the release"),
    storageStatefulSet: z
      .string()
      .min(1)
      .default("tributary-storage")
      .describe("The storage shards' StatefulSet (<fullname>-storage)"),
    consensusStatefulSetPrefix: z
      .string()
      .min(1)
      .default("tributary-consensus-")
      .describe("Consensus shard s is StatefulSet and Service <prefix><s> (<fullname>-consensus-)"),
    stateConfigMap: z
      .string()
      .min(1)
      .default("tributary-controller-state")
      .describe("ConfigMap holding the controller's state (<fullname>-controller-state; the Role names it)"),
    pollMs: z.number().int().positive().default(1_000).describe("Readiness poll interval"),
    retry: kubeRetryConfigSchema,
  })
  .prefault({});
export type KubernetesConfig = z.infer<typeof kubernetesConfigSchema>;
