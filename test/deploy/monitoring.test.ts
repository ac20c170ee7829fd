/**
 * deploy/monitoring: the Prometheus scrape config passes `promtool check config` (with a credentials file in place),
 * scrapes the coordinator's /metrics with the bearer token and the agents' own /metrics (job facefleet-agents) without;
 * every series the Grafana dashboard queries is one the coordinator or an agent writes, and it has panels over the
 * agents' own series.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { agentMetricsText, processSample } from "../../agent/metrics/agent-metrics.js";
import { WorkerStats } from "../../agent/worker/stats.js";
import { FleetCounters } from "../../coordinator/metrics/fleet-counters.js";
import { fleetMetricsText } from "../../coordinator/metrics/fleet-metrics.js";
import { repoRoot } from "../../testing/paths.js";
import { parsePromText, promtoolPath } from "../support/prom-text.js";

const dir = path.join(repoRoot, "deploy", "monitoring");
const CREDENTIALS = "/etc/prometheus/facefleet-api-token";

test("prometheus.yml: scrapes /metrics with the token from a credentials file, and promtool accepts it", () => {
  const text = readFileSync(path.join(dir, "prometheus.yml"), "utf8");
  const config = parse(text) as {
    scrape_configs: {
      job_name: string;
      metrics_path: string;
      authorization?: { type: string; credentials_file: string };
      static_configs: { targets: string[] }[];
    }[];
  };
  const job = config.scrape_configs.find((j) => j.job_name === "facefleet-coordinator");
  assert.ok(job);
  assert.equal(job.metrics_path, "/metrics");
  assert.deepEqual(job.authorization, { type: "Bearer", credentials_file: CREDENTIALS });
  // The agents' own /metrics: no token (agent/metrics/metrics-server.ts has none), the default port in the examples.
  const agents = config.scrape_configs.find((j) => j.job_name === "facefleet-agents");
  assert.ok(agents);
  assert.equal(agents.metrics_path, "/metrics");
  assert.equal(agents.authorization, undefined);
  const targets = agents.static_configs.flatMap((c) => c.targets);
  assert.ok(targets.length > 0 && targets.every((t) => t.endsWith(":9464")), targets.join(", "));
  assert.match(text, /file_sd_configs/, "the fleet's alternative to static targets is shown");
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
    panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[];
    templating: { list: { definition?: string }[] };
  };
  assert.equal(dashboard.uid, "facefleet-fleet");
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  const written = parsePromText(
    fleetMetricsText({ agents: [], plan: { plan: null, loads: [] }, counters: new FleetCounters().snapshot() }),
  );
  // An agent's own /metrics with both roles (every family it can write: the worker's and the capture role's).
  const agent = parsePromText(
    agentMetricsText({
      agentId: "pi-1",
      agentVersion: "0.1.0",
      stats: new WorkerStats("pi-1"),
      capture: {
        producer: { sent: 0, dropped: 0, errors: 0, queueDepth: 0, inFlight: 0, connected: true, reconnects: 0 },
        cameras: {},
      },
      models: [],
      process: processSample(),
    }),
  );
  // Families with their histogram suffixes, and those that only have samples with agents (their TYPE is always written).
  const suffixed = (names: Iterable<string>) => [...names].flatMap((name) => [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]);
  const known = new Set([...suffixed(written.types.keys()), ...suffixed(agent.types.keys())]);
  const queried = (p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr);
  const expressions = [
    ...dashboard.panels.flatMap(queried),
    ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
  ];
  assert.ok(expressions.length >= 15);
  for (const expr of expressions) {
    const names = expr.match(/facefleet_[a-z_]+/g) ?? [];
    assert.ok(names.length > 0, `"${expr}" queries a facefleet series`);
    for (const name of names) assert.ok(known.has(name), `${name} (in "${expr}") is not a series of /metrics`);
  }
  // Panels over the agents' own series: frames/s from their counter, stage quantiles from the histogram, RSS.
  const all = expressions.join("\n");
  assert.match(all, /rate\(facefleet_agent_frames_processed_total/);
  assert.match(all, /histogram_quantile\(0\.95, sum by \([a-z, ]*le\) \(rate\(facefleet_agent_stage_seconds_bucket/);
  assert.match(all, /facefleet_agent_process_resident_memory_bytes/);
  const agentPanels = dashboard.panels.filter((p) => queried(p).some((e) => /facefleet_agent_(frames|stage_seconds|process|face)/.test(e)));
  assert.ok(agentPanels.length >= 4, `${agentPanels.length} panels over the agents' own series`);
});
