/**
 * For the metrics tests: a small parser of the Prometheus text format 0.0.4 (HELP/TYPE lines, samples with
 * escaped label values) that checks what it reads, and `promtool check metrics` (Debian's `prometheus` package,
 * installed by scripts/setup.sh --tests; missing, it fails the test with how to install it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export type PromSample = { name: string; labels: Record<string, string>; value: number };
export type PromText = { types: Map<string, string>; helps: Map<string, string>; samples: PromSample[] };

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;

function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) throw new Error(`not a sample value: "${text}"`);
  return value;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const name = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!name?.[1]) throw new Error(`bad label at "${text.slice(i)}"`);
    i += name[0].length;
    let value = "";
    for (;;) {
      const c = text[i++];
      if (c === undefined) throw new Error(`unterminated label value in "${text}"`);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i++];
        if (e === "n") value += "\n";
        else if (e === "\\" || e === '"') value += e;
        else throw new Error(`bad escape \\${e} in "${text}"`);
      } else value += c;
    }
    if (name[1] in labels) throw new Error(`label ${name[1]} twice in "${text}"`);
    labels[name[1]] = value;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`expected , after a label in "${text}"`);
  }
  return labels;
}

export function parsePromText(text: string): PromText {
  const out: PromText = { types: new Map(), helps: new Map(), samples: [] };
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const map = kind === "HELP" ? out.helps : out.types;
      if (map.has(name)) throw new Error(`${kind} of ${name} twice`);
      map.set(name, rest);
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match?.[1] || match[4] === undefined) throw new Error(`not a sample line: "${line}"`);
    out.samples.push({ name: match[1], labels: match[3] ? parseLabels(match[3]) : {}, value: parseValue(match[4]) });
  }
  return out;
}

/** The samples of one series name whose labels include `labels`. */
export function samplesOf(text: PromText, name: string, labels: Record<string, string> = {}): PromSample[] {
  return text.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` with `labels`; throws when there is none or several. */
export function sampleValue(text: PromText, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(text, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return (found[0] as PromSample).value;
}

/** Where promtool is; throws, saying how to install it, when it is not there. */
export function promtoolPath(): string {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/local/bin"])
    if (dir && existsSync(join(dir, "promtool"))) return join(dir, "promtool");
  throw new Error(
    "promtool not found: install Debian's prometheus package (bash scripts/setup.sh --tests, or apt-get install -y prometheus)",
  );
}

/** `promtool check metrics` on the text: its exit status and what it said (lint problems included). */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  const run = spawnSync(promtoolPath(), ["check", "metrics"], { input: text, encoding: "utf8", timeout: 30_000 });
  if (run.error) throw run.error;
  return { code: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
