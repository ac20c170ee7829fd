/** The Prometheus text writer (core/metrics/exposition.ts) and the bucket counter (histogram.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExpositionWriter, escapeHelp, escapeLabelValue, formatValue } from "../../core/metrics/exposition.js";
import { Histogram } from "../../core/metrics/histogram.js";
import { parsePromText, promtoolCheck, samplesOf, sampleValue } from "../support/prom-text.js";

test("label values escape backslash, double quote and line feed; HELP escapes backslash and line feed only", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeHelp('say "hi"\\\nthere'), 'say "hi"\\\\\\nthere');
  const text = new ExpositionWriter()
    .gauge("x_info", 'help with "quotes" and a\nline feed', [{ labels: { camera: 'hall "A"\\back\nyard' }, value: 1 }])
    .text();
  assert.equal(
    text,
    [
      '# HELP x_info help with "quotes" and a\\nline feed',
      "# TYPE x_info gauge",
      'x_info{camera="hall \\"A\\"\\\\back\\nyard"} 1',
      "",
    ].join("\n"),
  );
  // Read back, the value is what was written.
  assert.equal(samplesOf(parsePromText(text), "x_info")[0]?.labels.camera, 'hall "A"\\back\nyard');
});

test("values: integers and decimals as they are, the specials as Go writes them", () => {
  assert.deepEqual([1, 0.25, -3, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(formatValue), [
    "1",
    "0.25",
    "-3",
    "1e+21",
    "NaN",
    "+Inf",
    "-Inf",
  ]);
});

test("histogram buckets are cumulative, end with +Inf equal to _count, and carry _sum", () => {
  const h = new Histogram([0.1, 0.5, 1]);
  for (const v of [0.05, 0.1, 0.3, 0.5, 0.7, 2, 30]) h.observe(v);
  h.observe(Number.NaN); // ignored
  assert.equal(h.count, 7);
  const text = new ExpositionWriter().histogram("d_seconds", "delays", [h.sample({ camera: "hall" })]).text();
  const parsed = parsePromText(text);
  assert.equal(parsed.types.get("d_seconds"), "histogram");
  const buckets = samplesOf(parsed, "d_seconds_bucket").map((s) => [s.labels.le, s.value]);
  // A value on a bound falls in that bound's bucket (le = less or equal).
  assert.deepEqual(buckets, [
    ["0.1", 2],
    ["0.5", 4],
    ["1", 5],
    ["+Inf", 7],
  ]);
  for (const s of samplesOf(parsed, "d_seconds_bucket")) assert.equal(s.labels.camera, "hall");
  assert.equal(sampleValue(parsed, "d_seconds_count"), 7);
  assert.ok(Math.abs(sampleValue(parsed, "d_seconds_sum") - 33.65) < 1e-9);
  // Never decreasing, whatever the counts.
  const values = buckets.map(([, v]) => v as number);
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    values,
  );
  assert.equal(promtoolCheck(text).code, 0, promtoolCheck(text).output);
});

test("an empty histogram still has every bucket, +Inf, _sum and _count at 0", () => {
  const text = new ExpositionWriter().histogram("e_seconds", "none yet", [new Histogram([1, 2]).sample()]).text();
  assert.match(text, /^e_seconds_bucket\{le="\+Inf"\} 0$/m);
  assert.match(text, /^e_seconds_sum 0$/m);
  assert.match(text, /^e_seconds_count 0$/m);
});

test("summaries, counters and gauges together pass promtool check metrics; a family without samples keeps HELP and TYPE", () => {
  const text = new ExpositionWriter()
    .counter("jobs_total", "Jobs done.", [{ labels: { kind: "a" }, value: 3 }])
    .gauge("queue_depth", "Queued.", [])
    .summary("step_seconds", "Steps.", [
      {
        labels: { step: "detect" },
        quantiles: [
          [0.5, 0.04],
          [0.95, 0.09],
        ],
      },
    ])
    .text();
  assert.match(text, /^step_seconds\{step="detect",quantile="0.95"\} 0.09$/m);
  assert.match(text, /^# TYPE queue_depth gauge$/m);
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
});

test("the writer refuses what Prometheus would: bad names, a counter without _total or below 0, a family twice, bad buckets", () => {
  const w = () => new ExpositionWriter();
  assert.throws(() => w().gauge("1bad", "x", []), /bad metric name/);
  assert.throws(() => w().gauge("ok", "x", [{ labels: { "bad-label": "v" }, value: 1 }]), /bad label name/);
  assert.throws(() => w().gauge("ok", "x", [{ labels: { __reserved: "v" }, value: 1 }]), /bad label name/);
  assert.throws(() => w().counter("jobs", "x", []), /must end in _total/);
  assert.throws(() => w().counter("jobs_total", "x", [{ value: -1 }]), /negative/);
  assert.throws(() => w().gauge("g", "x", []).gauge("g", "x", []), /written twice/);
  assert.throws(() => w().histogram("h", "x", [{ bounds: [1, 1], counts: [0, 0, 0], sum: 0 }]), /increasing/);
  assert.throws(() => w().histogram("h", "x", [{ bounds: [1], counts: [0], sum: 0 }]), /one count per bound/);
  assert.throws(() => w().summary("s", "x", [{ quantiles: [[1.5, 1]] }]), /not in \[0, 1\]/);
  assert.throws(() => w().histogram("h", "x", [{ labels: { le: "1" }, bounds: [1], counts: [0, 0], sum: 0 }]), /given twice/);
  assert.throws(() => new Histogram([2, 1]), /increasing/);
  assert.equal(w().text(), "");
});
