import type { z } from "zod";
import { envName, envPrefix, formatPath } from "./config.ts";
import { walkConfigSchema } from "./configSchema.ts";

/** One documented config key; the schema's `.describe()` text is the documentation. */
export type ConfigKeyDoc = {
  key: string;
  env: string;
  type: string;
  /** JSON of the default, or undefined when the key has none (required or optional). */
  default: string | undefined;
  required: boolean;
  description: string;
};

export function describeConfig(schema: z.ZodObject, opts: { service: string }): ConfigKeyDoc[] {
  const prefix = envPrefix(opts.service);
  return walkConfigSchema(schema).leaves.map((leaf) => ({
    key: formatPath(leaf.path),
    env: envName(prefix, leaf.path),
    type: leaf.type,
    default: leaf.hasDefault ? JSON.stringify(leaf.defaultValue) : undefined,
    required: !leaf.hasDefault && !leaf.optional,
    description: leaf.description ?? "",
  }));
}

/** A Markdown table of every key, for a service README. */
export function renderConfigMarkdown(schema: z.ZodObject, opts: { service: string }): string {
  const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const rows = describeConfig(schema, opts).map((d) => {
    const def = d.default !== undefined ? `\`${d.default}\`` : d.required ? "(required)" : "(optional)";
    return `| \`${d.key}\` | \`${d.env}\` | ${cell(d.type)} | ${cell(def)} | ${cell(d.description)} |`;
  });
  return ["| Key | Env | Type | Default | Description |", "| --- | --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}
