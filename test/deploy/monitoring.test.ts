/**
 * deploy/monitoring: the Prometheus scrape config passes `promtool check config` (with its token file in place),
 * scrapes the coordinator's /api/metrics with a bearer token, and every series the Grafana dashboard queries is
 * one that coordinator/metrics/fleet-metrics.ts writes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../testing/paths.js";

const monitoring = path.join(repoRoot, "deploy", "monitoring");

test("prometheus.yml is a valid config that scrapes /api/metrics with the API token", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-monitoring-"));
  const tokenFile = path.join(dir, "facefleet-api-token");
  writeFileSync(tokenFile, "a-token\n");
  const config = readFileSync(path.join(monitoring, "prometheus.yml"), "utf8");
  assert.match(config, /metrics_path: \/api\/metrics/);
  assert.match(config, /credentials_file: \/etc\/prometheus\/facefleet-api-token/);
  const placed = path.join(dir, "prometheus.yml");
  writeFileSync(placed, config.replace("/etc/prometheus/facefleet-api-token", tokenFile));
  const checked = spawnSync("promtool", ["check", "config", placed], { encoding: "utf8" });
  assert.ok(!checked.error, "promtool is missing: run scripts/setup.sh --tests (Debian package prometheus)");
  assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
});

test("every series the Grafana dashboard queries is written by the coordinator", () => {
  const dashboard = JSON.parse(readFileSync(path.join(monitoring, "grafana-dashboard.json"), "utf8")) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const source = readFileSync(path.join(repoRoot, "coordinator", "metrics", "fleet-metrics.ts"), "utf8");
  const written = new Set([...source.matchAll(/"(facefleet_[a-z_]+)"/g)].map((m) => m[1]));
  assert.ok(dashboard.panels.length >= 8);
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, panel.title);
    for (const { expr } of panel.targets)
      for (const [name] of expr.matchAll(/facefleet_[a-z_]+/g)) assert.ok(written.has(name), `${panel.title}: ${name} is not written`);
  }
});
