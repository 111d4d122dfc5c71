import type { z } from "zod";

/**
 * Read-only walk over a zod (v4) object schema: the leaves a config loader and its docs need.
 *
 * zod v4 exposes its definition tree as `schema.def` (`type`, `innerType`, `shape`, ...). We only
 * read it; wrappers (default, optional, ...) are peeled to find what the value itself must be.
 */

export type ConfigLeaf = {
  /** Path of object keys from the root, e.g. ["grpc", "maxMessageBytes"]. */
  path: string[];
  /** The field's schema, wrappers included (parse env values against this). */
  schema: z.ZodType;
  /** Human-readable type, e.g. `number (int, >0)`, `"a" | "b"`, `string[]`. */
  type: string;
  /** Whether the field has a default; `defaultValue` is then set. */
  hasDefault: boolean;
  defaultValue?: unknown;
  optional: boolean;
  description?: string;
};

export type ConfigSection = {
  path: string[];
  /** True when the section may be absent (then its fields are not filled with defaults). */
  optional: boolean;
};

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: { _zod: { def: Record<string, unknown> } }[];
  defaultValue?: unknown;
  valueType?: z.ZodType;
};

// Wrappers that do not change what a value looks like on input.
const WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"]);

export function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

type Peeled = {
  core: z.ZodType;
  hasDefault: boolean;
  defaultValue?: unknown;
  optional: boolean;
  description?: string;
};

/** Strip wrappers, remembering default, optionality and the first description found. */
export function peel(schema: z.ZodType): Peeled {
  let current = schema;
  const out: Peeled = { core: schema, hasDefault: false, optional: false };
  for (;;) {
    if (out.description === undefined && current.description !== undefined)
      out.description = current.description;
    const def = defOf(current);
    if (def.type === "default" && !out.hasDefault) {
      out.hasDefault = true;
      out.defaultValue = def.defaultValue;
    }
    if (def.type === "optional" || def.type === "nullable") out.optional = true;
    if (WRAPPERS.has(def.type) && def.innerType) {
      current = def.innerType;
    } else if (def.type === "pipe" && def.in) {
      // z.preprocess / .transform: the input side is what a config value must satisfy.
      current = def.in;
    } else {
      break;
    }
  }
  out.core = current;
  return out;
}

/** The object shape of a schema if (after peeling) it is an object, else undefined. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = defOf(peel(schema).core);
  return def.type === "object" ? def.shape : undefined;
}

export function walkConfigSchema(root: z.ZodType): { leaves: ConfigLeaf[]; sections: ConfigSection[] } {
  const leaves: ConfigLeaf[] = [];
  const sections: ConfigSection[] = [];
  // A leaf inside an optional section is optional too: it is only needed if the section is set.
  const visit = (schema: z.ZodType, path: string[], inOptional: boolean): void => {
    const peeled = peel(schema);
    const shape = objectShape(schema);
    if (shape) {
      if (path.length > 0) sections.push({ path, optional: peeled.optional });
      for (const [key, child] of Object.entries(shape))
        visit(child, [...path, key], inOptional || peeled.optional);
      return;
    }
    const leaf: ConfigLeaf = {
      path,
      schema,
      type: describeType(peeled.core),
      hasDefault: peeled.hasDefault,
      optional: peeled.optional || inOptional,
    };
    if (peeled.hasDefault) leaf.defaultValue = peeled.defaultValue;
    if (peeled.description !== undefined) leaf.description = peeled.description;
    leaves.push(leaf);
  };
  visit(root, [], false);
  return { leaves, sections };
}

/** A short type label for docs and error messages. */
export function describeType(schema: z.ZodType): string {
  const core = peel(schema).core;
  const def = defOf(core);
  switch (def.type) {
    case "number": {
      const notes = (def.checks ?? []).map((c) => describeCheck(c._zod.def)).filter((n) => n !== "");
      return notes.length > 0 ? `number (${notes.join(", ")})` : "number";
    }
    case "enum":
      return Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(" | ");
    case "literal":
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(" | ");
    case "array":
      return def.element ? `${describeType(def.element)}[] (JSON)` : "array (JSON)";
    case "union":
      return (def.options ?? []).map((o) => describeType(o)).join(" | ");
    case "record":
      return def.valueType ? `record<string, ${describeType(def.valueType)}> (JSON)` : "record (JSON)";
    default:
      return def.type;
  }
}

function describeCheck(check: Record<string, unknown>): string {
  if (check.check === "number_format") return check.format === "safeint" ? "int" : String(check.format);
  if (check.check === "greater_than") return `${check.inclusive ? ">=" : ">"}${String(check.value)}`;
  if (check.check === "less_than") return `${check.inclusive ? "<=" : "<"}${String(check.value)}`;
  return "";
}
