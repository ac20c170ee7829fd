/** The Prometheus text writer (coordinator/metrics/exposition.ts): escaping, histogram buckets, refusals. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExpositionWriter, escapeLabelValue } from "../../coordinator/metrics/exposition.js";
import { parseExposition } from "../support/prometheus-text.js";

test("label values escape backslash, quote and line feed; help escapes backslash and line feed", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const text = new ExpositionWriter().gauge("g", "line one\nline \\ two", [{ labels: { camera: 'front "door"\n' }, value: 1 }]).text();
  assert.equal(text, '# HELP g line one\\nline \\\\ two\n# TYPE g gauge\ng{camera="front \\"door\\"\\n"} 1\n');
  assert.equal(parseExposition(text).samples[0]?.labels.camera, 'front "door"\n');
});

test("histograms are cumulative with +Inf, _sum and _count; summaries carry quantile labels", () => {
  const text = new ExpositionWriter()
    .histogram("h_seconds", "h", [{ bounds: [0.1, 0.5], counts: [2, 3, 1], sum: 1.7 }])
    .summary("s_seconds", "s", [{ labels: { stage: "detect" }, quantiles: [[0.5, 0.02]] }])
    .text();
  const parsed = parseExposition(text);
  assert.deepEqual(
    parsed.all("h_seconds_bucket").map((s) => [s.labels.le, s.value]),
    [
      ["0.1", 2],
      ["0.5", 5],
      ["+Inf", 6],
    ],
  );
  assert.equal(parsed.value("h_seconds_count"), 6);
  assert.equal(parsed.value("h_seconds_sum"), 1.7);
  assert.equal(parsed.value("s_seconds", { stage: "detect", quantile: "0.5" }), 0.02);
  assert.equal(parsed.types.get("h_seconds"), "histogram");
});

test("bad names, a counter without _total or negative, a family twice and bad buckets are refused", () => {
  assert.throws(() => new ExpositionWriter().gauge("1bad", "x", []), /bad metric name/);
  assert.throws(() => new ExpositionWriter().gauge("g", "x", [{ labels: { "bad-label": "v" }, value: 1 }]), /bad label name/);
  assert.throws(() => new ExpositionWriter().counter("c", "x", []), /must end in _total/);
  assert.throws(() => new ExpositionWriter().counter("c_total", "x", [{ value: -1 }]), /negative/);
  assert.throws(() => new ExpositionWriter().gauge("g", "x", []).gauge("g", "x", []), /written twice/);
  assert.throws(() => new ExpositionWriter().histogram("h", "x", [{ bounds: [1, 0.5], counts: [0, 0, 0], sum: 0 }]), /increasing/);
  assert.throws(() => new ExpositionWriter().histogram("h", "x", [{ bounds: [1], counts: [0], sum: 0 }]), /one count per bound/);
  assert.equal(
    new ExpositionWriter()
      .gauge("g", "x", [{ value: Number.NaN }])
      .text()
      .split("\n")[2],
    "g NaN",
  );
});
