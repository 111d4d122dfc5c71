/**
 * Rendered chart manifests: parsing `helm template` output and validating each object offline
 * against the Kubernetes OpenAPI schemas (kubernetes-models) and the prometheus-operator CRDs.
 */
import { parseAllDocuments } from "yaml";

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
};

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** The kubernetes-models module of an apiVersion/kind, e.g. apps/v1 Deployment. */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** Throws naming the object and the schema violation; unknown kinds are errors too. */
export async function validateOffline(m: Manifest): Promise<void> {
  const where = `${m.kind}/${m.metadata?.name} (${m.apiVersion})`;
  let model: ModelClass;
  try {
    const mod = (await import(modelModule(m.apiVersion, m.kind))) as Record<string, ModelClass>;
    model = mod[m.kind]!;
  } catch (err) {
    throw new Error(`${where}: no schema for this kind: ${String(err)}`);
  }
  try {
    new model(m).validate();
  } catch (err) {
    throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The pod template of a workload (Deployment, StatefulSet), or undefined for other kinds. */
export function podSpecOf(m: Manifest): Record<string, unknown> | undefined {
  if (m.kind !== "Deployment" && m.kind !== "StatefulSet") return undefined;
  const template = (m.spec as { template: { spec: Record<string, unknown> } }).template;
  return template.spec;
}
