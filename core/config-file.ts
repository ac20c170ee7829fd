import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { FacefleetError } from "./errors.js";

/**
 * A config file's text as a value: YAML for `.yaml` / `.yml`, JSON for anything else. The agent's and the
 * coordinator's config files, the Kafka section the tools read (`--config`), the environment's JSON
 * (deploy/env-config.ts) and the SD card's facefleet.yaml (deploy/image/first-boot-config.ts) all go through here.
 */
export type ConfigFormat = "JSON" | "YAML";

/** A parse that failed; `detail` is the parser's one-line reason. */
export class ConfigSyntaxError extends FacefleetError {
  constructor(
    readonly format: ConfigFormat,
    readonly detail: string,
  ) {
    super(`not valid ${format}: ${detail}`);
  }
}

/** No YAML parser could be loaded (a device without the `yaml` package). */
export class NoYamlParserError extends FacefleetError {}

export type YamlParse = (text: string) => unknown;

export function configFormatOf(path: string): ConfigFormat {
  return /\.ya?ml$/i.test(path) ? "YAML" : "JSON";
}

/** The `yaml` package, loaded only when a YAML file is read; undefined where it is not installed. */
export function loadYamlParser(): YamlParse | undefined {
  try {
    const require = createRequire(import.meta.url);
    const yaml = require("yaml") as { parse: (s: string) => unknown };
    return (s) => yaml.parse(s);
  } catch {
    return undefined;
  }
}

/** Parses config text; throws a ConfigSyntaxError (or NoYamlParserError) of one line. */
export function parseConfigText(text: string, format: ConfigFormat, loadYaml: () => YamlParse | undefined = loadYamlParser): unknown {
  if (format === "JSON") {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigSyntaxError("JSON", (error as Error).message.split("\n")[0] ?? "");
    }
  }
  const parse = loadYaml();
  if (!parse) throw new NoYamlParserError("no YAML parser on this device (the yaml package is missing)");
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigSyntaxError("YAML", (error as Error).message.split("\n")[0] ?? "");
  }
}

/**
 * Reads and parses a config file. `label` says what it is (`agent config`); the errors are one line:
 * `cannot read agent config FILE: ENOENT`, `agent config FILE is not valid JSON: …`.
 */
export function readConfigFile(path: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new FacefleetError(`cannot read ${label} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parseConfigText(text, configFormatOf(path));
  } catch (error) {
    if (error instanceof ConfigSyntaxError) throw new FacefleetError(`${label} ${path} is ${error.message}`);
    throw new FacefleetError(`${label} ${path}: ${(error as Error).message}`);
  }
}
