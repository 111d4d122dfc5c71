/**
 * A new consensus shard's Kubernetes objects, derived from shard 0's. The chart renders one
 * StatefulSet (and headless Service) per consensus shard, named <fullname>-consensus-<s>, whose
 * pods are that shard's validators; the controller adds shard s by copying shard 0's objects and
 * changing only what names the shard (name, serviceName, the tributary.io/consensus-shard label
 * in metadata, selector and pod template, and the shard id env). Everything else (image,
 * resources, volumes, the validators per shard as replicas) stays as the chart set it, so an
 * added shard runs exactly like the chart's own.
 */
import type { V1Container, V1Service, V1StatefulSet } from "@kubernetes/client-node";

export const SHARD_LABEL = "tributary.io/consensus-shard";
export const SHARD_ID_ENV = "TRIBUTARY_CONSENSUS_SHARD_SHARD_ID";

export const consensusShardId = (index: number) => `consensus-${index}`;

const relabel = (labels: Record<string, string> | undefined, shardId: string) => ({
  ...labels,
  [SHARD_LABEL]: shardId,
});

export function consensusStatefulSetFrom(
  template: V1StatefulSet,
  name: string,
  index: number,
): V1StatefulSet {
  const shardId = consensusShardId(index);
  const spec = structuredClone(template.spec!);
  spec.serviceName = name;
  spec.selector = { ...spec.selector, matchLabels: relabel(spec.selector.matchLabels, shardId) };
  spec.template.metadata = {
    ...spec.template.metadata,
    labels: relabel(spec.template.metadata?.labels, shardId),
  };
  spec.template.spec!.containers = spec.template.spec!.containers.map(
    (c): V1Container => ({
      ...c,
      env: (c.env ?? []).map((e) => (e.name === SHARD_ID_ENV ? { name: SHARD_ID_ENV, value: shardId } : e)),
    }),
  );
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name,
      labels: relabel(template.metadata?.labels, shardId),
      ...(template.metadata?.annotations !== undefined ? { annotations: template.metadata.annotations } : {}),
    },
    spec,
  };
}

export function consensusServiceFrom(template: V1Service, name: string, index: number): V1Service {
  const shardId = consensusShardId(index);
  const s = template.spec!;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, labels: relabel(template.metadata?.labels, shardId) },
    spec: {
      // Headless as the chart's: each validator addressed by its pod name, never load-balanced.
      clusterIP: "None",
      ...(s.publishNotReadyAddresses !== undefined
        ? { publishNotReadyAddresses: s.publishNotReadyAddresses }
        : {}),
      selector: relabel(s.selector, shardId),
      ...(s.ports !== undefined ? { ports: s.ports } : {}),
    },
  };
}
