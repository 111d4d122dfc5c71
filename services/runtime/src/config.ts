import { readFileSync } from "node:fs";
import type { z } from "zod";
import { CodedError } from "./codedError.ts";
import { type ConfigLeaf, describeType, objectShape, walkConfigSchema } from "./configSchema.ts";

/**
 * Strict service configuration.
 *
 * Precedence (lowest first): defaults in the schema < JSON file < environment variables.
 * - File path: `--config <path>` in argv, else `TRIBUTARY_<SERVICE>_CONFIG_FILE`, else `opts.file`.
 *   JSON only (no YAML parser in the dependency set, and JSON is enough for machine-written config).
 * - Env: `TRIBUTARY_<SERVICE>_<PATH>`, nested keys joined by `_`, camelCase -> UPPER_SNAKE
 *   (`grpc.maxMessageBytes` -> `TRIBUTARY_DISPERSER_GRPC_MAX_MESSAGE_BYTES`). Values are coerced to
 *   what the schema accepts: numbers, `true`/`false`, JSON for arrays/records.
 * - Unknown keys in the file, and env vars with the service prefix that map to no key, are errors.
 *   Strictness is checked here, so it holds even if a schema used `z.object` instead of
 *   `z.strictObject`.
 * - Missing non-optional sections are filled with `{}` so that defaults declared on leaves apply
 *   (zod v4 does not descend into an absent object). Put defaults on leaves, not on sections.
 *
 * Every problem found is reported at once in one ConfigError, each naming the full key path and,
 * where the value came from the environment or the file, the variable or the file.
 */

export type ConfigErrorType = { code: "CONFIG_ERROR_INVALID"; problems: string[] };

export class ConfigError extends CodedError<ConfigErrorType> {
  constructor(problems: string[]) {
    super(
      { code: "CONFIG_ERROR_INVALID", problems },
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
  }

  get problems(): string[] {
    return this.type.problems;
  }
}

export type LoadConfigOptions = {
  /** Service name, e.g. "storage-shard" -> env prefix `TRIBUTARY_STORAGE_SHARD_`. */
  service: string;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Default config file path, used when neither argv nor env names one. */
  file?: string;
  /** Command-line arguments after the script (process.argv.slice(2)); only `--config` is accepted. */
  argv?: readonly string[];
};

/** Reserved env suffix naming the config file; a schema may not have a key that maps to it. */
const CONFIG_FILE_SUFFIX = "CONFIG_FILE";

export function loadConfig<S extends z.ZodObject>(schema: S, opts: LoadConfigOptions): z.output<S> {
  const env = opts.env ?? process.env;
  const prefix = envPrefix(opts.service);
  const { leaves, sections } = walkConfigSchema(schema);
  const leafByEnv = mapEnvNames(leaves, prefix);
  const sectionEnvNames = new Set(sections.map((s) => envName(prefix, s.path)));
  const problems: string[] = [];
  const source = new SourceTracker();

  // 1. File.
  const filePath = pickFilePath(opts, env, prefix, problems);
  let input: Record<string, unknown> = {};
  if (filePath !== undefined) {
    const fileData = readJsonFile(filePath, problems);
    if (fileData !== undefined) {
      input = fileData;
      source.file = filePath;
      source.fileData = fileData;
      checkUnknownKeys(fileData, schema, [], (path) =>
        problems.push(`unknown key "${formatPath(path)}" (in file ${filePath})`),
      );
    }
  }

  // 2. Environment (overrides the file, leaf by leaf).
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith(prefix) || name === prefix + CONFIG_FILE_SUFFIX) continue;
    const leaf = leafByEnv.get(name);
    if (!leaf) {
      problems.push(
        sectionEnvNames.has(name)
          ? `environment variable ${name} names a section, not a key; set its keys one by one`
          : `unknown environment variable ${name} (no config key maps to it)`,
      );
      continue;
    }
    setIn(input, leaf.path, coerceEnvValue(raw, leaf.schema));
    source.env.set(formatPath(leaf.path), name);
  }

  // 3. Fill absent required sections so leaf defaults apply (shallow sections first).
  for (const section of [...sections].sort((a, b) => a.path.length - b.path.length)) {
    if (section.optional) continue;
    const parent = getIn(input, section.path.slice(0, -1));
    const key = section.path.at(-1)!;
    if (isPlainObject(parent) && parent[key] === undefined) parent[key] = {};
  }

  // 4. Validate.
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...formatIssue(issue, input, leaves, source));
  }
  const unique = [...new Set(problems)];
  if (unique.length > 0) throw new ConfigError(unique);
  return deepFreeze(result.data) as z.output<S>;
}

/** `storage-shard` -> `TRIBUTARY_STORAGE_SHARD_`. */
export function envPrefix(service: string): string {
  return `TRIBUTARY_${service.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}_`;
}

/** `maxMessageBytes` -> `MAX_MESSAGE_BYTES`, `grpcURL` -> `GRPC_URL`, `http2Window` -> `HTTP2_WINDOW`. */
export function toUpperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

export function envName(prefix: string, path: readonly string[]): string {
  return prefix + path.map(toUpperSnake).join("_");
}

// Two keys mapping to the same env var would make env config ambiguous: a schema bug, thrown
// as a plain Error at load time so it is caught by the first test that loads the schema.
function mapEnvNames(leaves: ConfigLeaf[], prefix: string): Map<string, ConfigLeaf> {
  const byEnv = new Map<string, ConfigLeaf>();
  for (const leaf of leaves) {
    const name = envName(prefix, leaf.path);
    if (name === prefix + CONFIG_FILE_SUFFIX) {
      throw new Error(`Config key "${formatPath(leaf.path)}" collides with the reserved variable ${name}`);
    }
    const other = byEnv.get(name);
    if (other) {
      throw new Error(
        `Config keys "${formatPath(other.path)}" and "${formatPath(leaf.path)}" both map to ${name}`,
      );
    }
    byEnv.set(name, leaf);
  }
  return byEnv;
}

function pickFilePath(
  opts: LoadConfigOptions,
  env: Record<string, string | undefined>,
  prefix: string,
  problems: string[],
): string | undefined {
  let fromArgv: string | undefined;
  const argv = opts.argv ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--config") {
      fromArgv = argv[++i];
      if (fromArgv === undefined) problems.push(`command-line argument --config needs a path`);
    } else if (arg.startsWith("--config=")) {
      fromArgv = arg.slice("--config=".length);
    } else {
      problems.push(`unknown command-line argument "${arg}" (only --config <path> is accepted)`);
    }
  }
  const fromEnv = env[prefix + CONFIG_FILE_SUFFIX];
  return fromArgv ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined) ?? opts.file;
}

function readJsonFile(path: string, problems: string[]): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    problems.push(`config file ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    problems.push(`config file ${path}: invalid JSON (${(e as Error).message})`);
    return undefined;
  }
  if (!isPlainObject(data)) {
    problems.push(`config file ${path}: top level must be a JSON object, got ${describeValue(data)}`);
    return undefined;
  }
  return data;
}

function checkUnknownKeys(
  value: unknown,
  schema: z.ZodType,
  path: string[],
  report: (path: string[]) => void,
): void {
  const shape = objectShape(schema);
  if (!shape || !isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childSchema = shape[key];
    if (childSchema === undefined) report([...path, key]);
    else checkUnknownKeys(child, childSchema, [...path, key], report);
  }
}

/**
 * Env values are strings; pick the first reading the field's schema accepts: the raw string,
 * a number, a boolean, or JSON. If none is valid, keep the reading that matches the declared type
 * (or the raw string) so the error says e.g. `expected number, got string "abc"`.
 */
export function coerceEnvValue(raw: string, schema: z.ZodType): unknown {
  const text = raw.trim();
  const candidates: unknown[] = [raw];
  if (text !== "" && Number.isFinite(Number(text))) candidates.push(Number(text));
  if (text === "true" || text === "false") candidates.push(text === "true");
  try {
    candidates.push(JSON.parse(text));
  } catch {
    // Not JSON: only the readings above apply.
  }
  for (const candidate of candidates) {
    if (schema.safeParse(candidate).success) return candidate;
  }
  const declared = describeType(schema);
  const typed = candidates.find(
    (c) =>
      (declared.startsWith("number") && typeof c === "number") ||
      (declared === "boolean" && typeof c === "boolean") ||
      (declared.endsWith("(JSON)") && typeof c === "object"),
  );
  return typed ?? raw;
}

class SourceTracker {
  file: string | undefined;
  fileData: Record<string, unknown> | undefined;
  readonly env = new Map<string, string>();

  describe(path: readonly PropertyKey[]): string {
    const key = formatPath(path);
    for (const [envKey, name] of this.env) {
      if (key === envKey || key.startsWith(`${envKey}.`) || key.startsWith(`${envKey}[`))
        return ` (env ${name})`;
    }
    if (this.fileData !== undefined && getIn(this.fileData, path) !== undefined)
      return ` (in file ${this.file})`;
    return "";
  }
}

type Issue = z.core.$ZodIssue;

function formatIssue(issue: Issue, input: unknown, leaves: ConfigLeaf[], source: SourceTracker): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return `unknown key "${formatPath(path)}"${source.describe(path)}`;
    });
  }
  const key = formatPath(issue.path);
  const value = getIn(input, issue.path);
  const where = source.describe(issue.path);
  if (issue.code === "invalid_type") {
    if (value === undefined) return [`${key}: required ${issue.expected}, got nothing${where}`];
    return [`${key}: expected ${issue.expected}, got ${describeValue(value)}${where}`];
  }
  if (issue.code === "invalid_union" || issue.code === "invalid_value") {
    const leaf = leaves.find((l) => formatPath(l.path) === key);
    const expected = leaf ? leaf.type : issue.message.replace(/^Invalid (input|option): /, "");
    return [`${key}: expected ${expected}, got ${describeValue(value)}${where}`];
  }
  return [`${key}: ${issue.message.replace(/^Invalid input: /, "")}, got ${describeValue(value)}${where}`];
}

/** `["grpc", "peers", 0, "url"]` -> `grpc.peers[0].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `array ${truncate(JSON.stringify(value))}`;
  if (typeof value === "object") return `object ${truncate(JSON.stringify(value))}`;
  return `${typeof value} ${truncate(JSON.stringify(value) ?? String(value))}`;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function getIn(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  for (const part of path.slice(0, -1)) {
    const next = current[part];
    // A file value of the wrong shape here is replaced: the env var is the more specific source.
    if (!isPlainObject(next)) current[part] = {};
    current = current[part] as Record<string, unknown>;
  }
  current[path.at(-1)!] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
