/**
 * deploy/monitoring: the Prometheus scrape config passes `promtool check config` (with a credentials file in place)
 * and scrapes /metrics with the bearer token; every series the Grafana dashboard queries is one the coordinator writes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { FleetCounters } from "../../coordinator/metrics/fleet-counters.js";
import { fleetMetricsText } from "../../coordinator/metrics/fleet-metrics.js";
import { repoRoot } from "../../testing/paths.js";
import { parsePromText, promtoolPath } from "../support/prom-text.js";

const dir = path.join(repoRoot, "deploy", "monitoring");
const CREDENTIALS = "/etc/prometheus/facefleet-api-token";

test("prometheus.yml: scrapes /metrics with the token from a credentials file, and promtool accepts it", () => {
  const text = readFileSync(path.join(dir, "prometheus.yml"), "utf8");
  const config = parse(text) as {
    scrape_configs: { job_name: string; metrics_path: string; authorization: { type: string; credentials_file: string } }[];
  };
  const job = config.scrape_configs.find((j) => j.job_name === "facefleet-coordinator");
  assert.ok(job);
  assert.equal(job.metrics_path, "/metrics");
  assert.deepEqual(job.authorization, { type: "Bearer", credentials_file: CREDENTIALS });
  // promtool wants the credentials file to exist: the same config, pointing at a temporary one.
  const tmp = mkdtempSync(path.join(tmpdir(), "facefleet-prometheus-"));
  try {
    writeFileSync(path.join(tmp, "token"), "a-token\n", { mode: 0o600 });
    writeFileSync(path.join(tmp, "prometheus.yml"), text.replace(CREDENTIALS, path.join(tmp, "token")));
    const run = spawnSync(promtoolPath(), ["check", "config", path.join(tmp, "prometheus.yml")], { encoding: "utf8" });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("grafana-dashboard.json: unique panel ids, and every facefleet_ series it queries is one /metrics has", () => {
  const dashboard = JSON.parse(readFileSync(path.join(dir, "grafana-dashboard.json"), "utf8")) as {
    uid: string;
    panels: { id: number; title: string; targets: { expr: string }[] }[];
    templating: { list: { definition?: string }[] };
  };
  assert.equal(dashboard.uid, "facefleet-fleet");
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  const written = parsePromText(
    fleetMetricsText({ agents: [], plan: { plan: null, loads: [] }, counters: new FleetCounters().snapshot() }),
  );
  // Families with their histogram suffixes, and those that only have samples with agents (their TYPE is always written).
  const known = new Set([...written.types.keys()].flatMap((name) => [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]));
  const expressions = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
  ];
  assert.ok(expressions.length >= 15);
  for (const expr of expressions) {
    const names = expr.match(/facefleet_[a-z_]+/g) ?? [];
    assert.ok(names.length > 0, `"${expr}" queries a facefleet series`);
    for (const name of names) assert.ok(known.has(name), `${name} (in "${expr}") is not a series of /metrics`);
  }
});
