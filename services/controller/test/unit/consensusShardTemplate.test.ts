import type { V1Service, V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { consensusServiceFrom, consensusStatefulSetFrom } from "../../src/consensusShardTemplate.ts";

// Shard 0 as the chart renders it (abridged), with what the API server adds to a stored object.
const labels = {
  "app.kubernetes.io/component": "consensus-shard",
  "tributary.io/consensus-shard": "consensus-0",
};
const template: V1StatefulSet = {
  metadata: { name: "tributary-consensus-0", labels, resourceVersion: "42", uid: "u", generation: 7 },
  spec: {
    serviceName: "tributary-consensus-0",
    replicas: 3,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        containers: [
          {
            name: "consensus-shard",
            image: "tributary:1",
            env: [
              { name: "TRIBUTARY_CONSENSUS_SHARD_SHARD_ID", value: "consensus-0" },
              { name: "TRIBUTARY_CONSENSUS_SHARD_PRESET", value: "devnet" },
            ],
          },
        ],
      },
    },
  },
  status: { replicas: 3, readyReplicas: 3 },
};

describe("consensusStatefulSetFrom", () => {
  it("renames the shard everywhere it is named and keeps everything else", () => {
    const sts = consensusStatefulSetFrom(template, "tributary-consensus-2", 2);
    expect(sts.metadata).toEqual({
      name: "tributary-consensus-2",
      labels: { ...labels, "tributary.io/consensus-shard": "consensus-2" },
    });
    expect(sts.status).toBeUndefined();
    expect(sts.spec!.serviceName).toBe("tributary-consensus-2");
    expect(sts.spec!.replicas).toBe(3);
    expect(sts.spec!.selector.matchLabels!["tributary.io/consensus-shard"]).toBe("consensus-2");
    expect(sts.spec!.template.metadata!.labels!["tributary.io/consensus-shard"]).toBe("consensus-2");
    expect(sts.spec!.template.spec!.containers[0]!.env).toEqual([
      { name: "TRIBUTARY_CONSENSUS_SHARD_SHARD_ID", value: "consensus-2" },
      { name: "TRIBUTARY_CONSENSUS_SHARD_PRESET", value: "devnet" },
    ]);
    expect(sts.spec!.template.spec!.containers[0]!.image).toBe("tributary:1");
    // The template is not modified.
    expect(template.spec!.selector.matchLabels!["tributary.io/consensus-shard"]).toBe("consensus-0");
  });
});

describe("consensusServiceFrom", () => {
  it("makes a headless Service selecting the new shard's pods", () => {
    const service: V1Service = {
      metadata: { name: "tributary-consensus-0", labels },
      spec: {
        clusterIP: "None",
        clusterIPs: ["None"],
        publishNotReadyAddresses: true,
        selector: labels,
        ports: [{ name: "grpc", port: 7500 }],
      },
    };
    const s = consensusServiceFrom(service, "tributary-consensus-2", 2);
    expect(s.metadata!.name).toBe("tributary-consensus-2");
    expect(s.spec).toEqual({
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: { ...labels, "tributary.io/consensus-shard": "consensus-2" },
      ports: [{ name: "grpc", port: 7500 }],
    });
  });
});
