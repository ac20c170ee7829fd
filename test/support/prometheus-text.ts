/** A small reader of the Prometheus text format for tests: samples with their labels, and each family's TYPE. */
export type ParsedSample = { name: string; labels: Record<string, string>; value: number };

export type Exposition = {
  samples: ParsedSample[];
  types: Map<string, string>;
  /** Samples of one name. */
  all(name: string): ParsedSample[];
  /** The value of the one sample of `name` whose labels include `labels`; NaN when there is none. */
  value(name: string, labels?: Record<string, string>): number;
};

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const samples: ParsedSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(LABEL))
      labels[name as string] = (value as string).replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  const all = (name: string) => samples.filter((s) => s.name === name);
  return {
    samples,
    types,
    all,
    value: (name, labels = {}) => all(name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? Number.NaN,
  };
}
