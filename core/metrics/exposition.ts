/**
 * A small writer of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): one `# HELP` and `# TYPE` line per family, then
 * its samples; label values and help text escaped; histograms made cumulative with the `+Inf` bucket, `_sum` and
 * `_count`; summaries as quantiles. Names are checked here, so a bad name fails where it is written, not in a scrape.
 */

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;
export type Sample = { labels?: Labels; value: number };
export type HistogramSample = {
  labels?: Labels;
  /** Upper bounds, increasing, finite (the `+Inf` bucket is added). */
  bounds: readonly number[];
  /** Observations per bucket (not cumulative): counts[i] fell in (bounds[i-1], bounds[i]]; one more entry for above the last bound. */
  counts: readonly number[];
  sum: number;
};
/** Quantiles (0..1) → value; a window's percentiles, without a sum or count. */
export type SummarySample = { labels?: Labels; quantiles: ReadonlyArray<readonly [number, number]> };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format quotes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and line feed escaped (quotes are not). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: Go's float syntax for the specials (`NaN`, `+Inf`, `-Inf`), else the shortest round-trip decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function labelText(labels: Labels | undefined, extra?: readonly [string, string]): string {
  const entries = Object.entries(labels ?? {});
  if (extra) entries.push([extra[0], extra[1]]);
  if (entries.length === 0) return "";
  const seen = new Set<string>();
  for (const [name] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`metrics: bad label name "${name}"`);
    if (seen.has(name)) throw new Error(`metrics: label "${name}" given twice`);
    seen.add(name);
  }
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

export class ExpositionWriter {
  private readonly lines: string[] = [];
  private readonly families = new Set<string>();

  counter(name: string, help: string, samples: readonly Sample[]): this {
    if (!name.endsWith("_total")) throw new Error(`metrics: counter "${name}" must end in _total`);
    for (const s of samples) if (!(s.value >= 0)) throw new Error(`metrics: counter "${name}" must not be negative or NaN (${s.value})`);
    return this.simple(name, "counter", help, samples);
  }

  gauge(name: string, help: string, samples: readonly Sample[]): this {
    return this.simple(name, "gauge", help, samples);
  }

  histogram(name: string, help: string, samples: readonly HistogramSample[]): this {
    this.family(name, "histogram", help);
    for (const s of samples) {
      if (s.counts.length !== s.bounds.length + 1)
        throw new Error(`metrics: histogram "${name}" needs one count per bound and one for +Inf`);
      let cumulative = 0;
      s.bounds.forEach((bound, i) => {
        if (!Number.isFinite(bound) || (i > 0 && bound <= (s.bounds[i - 1] as number)))
          throw new Error(`metrics: histogram "${name}" bounds must be finite and increasing`);
        cumulative += s.counts[i] as number;
        this.sample(`${name}_bucket`, s.labels, cumulative, ["le", formatValue(bound)]);
      });
      cumulative += s.counts[s.bounds.length] as number;
      this.sample(`${name}_bucket`, s.labels, cumulative, ["le", "+Inf"]);
      this.sample(`${name}_sum`, s.labels, s.sum);
      this.sample(`${name}_count`, s.labels, cumulative);
    }
    return this;
  }

  summary(name: string, help: string, samples: readonly SummarySample[]): this {
    this.family(name, "summary", help);
    for (const s of samples)
      for (const [q, value] of s.quantiles) {
        if (!(q >= 0 && q <= 1)) throw new Error(`metrics: summary "${name}" quantile ${q} is not in [0, 1]`);
        this.sample(name, s.labels, value, ["quantile", formatValue(q)]);
      }
    return this;
  }

  /** The exposition: every family, a line feed after each line (the format wants one at the end). */
  text(): string {
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`;
  }

  private simple(name: string, type: "counter" | "gauge", help: string, samples: readonly Sample[]): this {
    this.family(name, type, help);
    for (const s of samples) this.sample(name, s.labels, s.value);
    return this;
  }

  private family(name: string, type: string, help: string): void {
    if (!METRIC_NAME.test(name)) throw new Error(`metrics: bad metric name "${name}"`);
    if (this.families.has(name)) throw new Error(`metrics: "${name}" written twice`);
    this.families.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  private sample(name: string, labels: Labels | undefined, value: number, extra?: readonly [string, string]): void {
    this.lines.push(`${name}${labelText(labels, extra)} ${formatValue(value)}`);
  }
}
