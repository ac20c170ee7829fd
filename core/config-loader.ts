import type { z } from "zod";
import { readConfigFile } from "./config-file.js";
import { FacefleetError } from "./errors.js";

/**
 * The one config path of the agent, the coordinator and the tools: a base (a file, YAML or JSON, or a value
 * such as the environment's JSON), overrides laid on top (environment variables, command-line flags), then
 * the zod schema. An error is one line naming the origin and the field path, and, when the field is one an
 * override sets, where it came from:
 *
 *   agent config /etc/facefleet/agent.json: kafka.brokers.0: must be host:port (from --brokers)
 */

/**
 * One value laid over the base at a field path (`["kafka", "brokers"]`); `derive` computes it from the config
 * as it stands (a camera's default id is made from the file's agentId).
 */
export type ConfigOverride =
  | { path: readonly string[]; value: unknown }
  | { path: readonly string[]; derive: (config: Readonly<Record<string, unknown>>) => unknown };

/** A field path prefix and what sets it (`["kafka.brokers", "FACEFLEET_KAFKA_BROKERS"]`): named in errors. */
export type FieldSource = readonly [pathPrefix: string, source: string];

export type ParseConfigOptions = {
  /** What is validated and where from: `agent config FILE`, `agent config from environment`. */
  origin: string;
  /** Fields set by an override, named in an error about them as ` (from SOURCE)`. */
  sources?: readonly FieldSource[];
  /** How a field path is written in an error (default: as zod has it, `roles.capture.0.fps`). */
  renamePath?: (path: string) => string;
};

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy of `base` with each override set at its path (objects on the way are copied, never changed). */
export function applyOverrides(base: unknown, overrides: readonly ConfigOverride[]): unknown {
  let root: unknown = base;
  for (const override of overrides) {
    const { path } = override;
    const value = "derive" in override ? override.derive(isObj(root) ? root : {}) : override.value;
    if (path.length === 0) {
      root = value;
      continue;
    }
    const top: Obj = isObj(root) ? { ...root } : {};
    let node = top;
    for (const [i, key] of path.entries()) {
      if (i === path.length - 1) node[key] = value;
      else {
        const next: Obj = isObj(node[key]) ? { ...(node[key] as Obj) } : {};
        node[key] = next;
        node = next;
      }
    }
    root = top;
  }
  return root;
}

/** The source of a field path: the longest prefix listed that is the path or one of its parents. */
export function sourceOf(path: string, sources: readonly FieldSource[]): string | undefined {
  let best: FieldSource | undefined;
  for (const entry of sources) {
    const [prefix] = entry;
    const covers = path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
    if (covers && (!best || prefix.length > best[0].length)) best = entry;
  }
  return best?.[1];
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * The problem to report: the first issue, and inside a union that no option matched (`mqtt`: embedded or
 * external) the issue of the option that got furthest (the longest path), so the line names the real field.
 */
export function reportedIssue(issues: readonly Issue[]): { path: PropertyKey[]; message: string } | undefined {
  const issue = issues[0];
  if (!issue) return undefined;
  if (issue.code !== "invalid_union" || !issue.errors?.length) return issue;
  let best: { path: PropertyKey[]; message: string } | undefined;
  for (const option of issue.errors) {
    const inner = reportedIssue(option);
    if (inner && (!best || inner.path.length > best.path.length)) best = inner;
  }
  return best && best.path.length > 0 ? { path: [...issue.path, ...best.path], message: best.message } : issue;
}

/** The first problem of a failed parse as one line: `<origin>: <path>: <message>[ (from <source>)]`. */
export function describeConfigIssue(error: z.ZodError, options: ParseConfigOptions): string {
  const issue = reportedIssue(error.issues as unknown as Issue[]);
  if (!issue) return `${options.origin}: invalid value`;
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(root)";
  const source = sourceOf(path, options.sources ?? []);
  const shown = options.renamePath ? options.renamePath(path) : path;
  return `${options.origin}: ${shown}: ${issue.message}${source ? ` (from ${source})` : ""}`;
}

/** Validates a config value with its schema; throws a FacefleetError of one line naming the field. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, options: ParseConfigOptions): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new FacefleetError(describeConfigIssue(parsed.error, options));
  return parsed.data;
}

export type LoadConfigOptions<T> = {
  /** The config file (YAML for .yaml/.yml, else JSON); absent: `base`, else `{}`. */
  file?: string | undefined;
  base?: unknown;
  /** What the file is, for its errors: `agent config`. */
  label: string;
  overrides?: readonly ConfigOverride[];
  sources?: readonly FieldSource[];
  /** The validation: a zod schema's parse through parseConfig, plus whatever the kind of config adds. */
  parse: (value: unknown, options: ParseConfigOptions) => T;
};

/** File (or base), then overrides, then the schema: the whole config path in one call. */
export function loadConfig<T>(options: LoadConfigOptions<T>): T {
  const base = options.file !== undefined ? readConfigFile(options.file, options.label) : (options.base ?? {});
  const value = applyOverrides(base, options.overrides ?? []);
  const origin = options.file !== undefined ? `${options.label} ${options.file}` : options.label;
  return options.parse(value, { origin, sources: options.sources ?? [] });
}
