/**
 * Every message type and service of the generated code, found by walking proto/src/gen rather
 * than listed by hand: a .proto file added later is fuzzed without anyone remembering to.
 */
import { readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";

const GEN_ROOT = new URL("../../src/gen/", import.meta.url);

export interface ProtoCatalog {
  readonly files: readonly DescFile[];
  /** Every message, nested ones included, ordered by type name. */
  readonly messages: readonly DescMessage[];
  readonly services: readonly DescService[];
}

function isFile(value: unknown): value is DescFile {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "file";
}

/** Imports every `*_pb.ts` under proto/src/gen and collects its file descriptors. */
export async function loadCatalog(): Promise<ProtoCatalog> {
  const paths = readdirSync(GEN_ROOT, { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith("_pb.ts"))
    .sort();
  const files = new Map<string, DescFile>();
  for (const path of paths) {
    const module: Record<string, unknown> = await import(
      pathToFileURL(new URL(path, GEN_ROOT).pathname).href
    );
    for (const value of Object.values(module)) if (isFile(value)) files.set(value.name, value);
  }
  const messages = new Map<string, DescMessage>();
  const services = new Map<string, DescService>();
  for (const file of files.values()) {
    for (const type of nestedTypes(file)) {
      if (type.kind === "message") messages.set(type.typeName, type);
      if (type.kind === "service") services.set(type.typeName, type);
    }
  }
  const byName = <T extends { typeName: string }>(m: Map<string, T>) =>
    [...m.values()].sort((a, b) => a.typeName.localeCompare(b.typeName));
  return { files: [...files.values()], messages: byName(messages), services: byName(services) };
}
