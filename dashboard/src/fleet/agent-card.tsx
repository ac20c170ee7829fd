import type { AgentView, PartitionLoadView } from "../../../protocol/api.js";
import { isThrottled, mib, num, timeAgo } from "../ui/format.js";
import { Meter } from "../ui/meter.js";
import { AgentStatusBadge } from "./agent-status-badge.js";
import { CpuLoadBars } from "./cpu-load-bars.js";
import { StageLatencies } from "./stage-latencies.js";

/** Everything known about one agent: status, device, models, load, throughput, attributes, latency, partitions. */
export function AgentCard({ agent, loads, now }: { agent: AgentView; loads: Map<number, PartitionLoadView>; now: number }) {
  const health = agent.health;
  const lagOf = (partition: number) =>
    health?.partitions.find((owned) => owned.partition === partition)?.lag ?? loads.get(partition)?.lag ?? null;
  return (
    <article
      class={`card agent-card ${agent.online ? "" : "offline"}`}
      data-testid={`agent-${agent.id}`}
      data-online={String(agent.online)}
      aria-labelledby={`agent-title-${agent.id}`}
    >
      <header class="card-header">
        <h2 id={`agent-title-${agent.id}`} class="agent-id">
          {agent.id}
        </h2>
        <AgentStatusBadge agent={agent} />
        {agent.drained && (
          <span class="badge badge-drained" data-testid={`agent-drained-${agent.id}`}>
            drained
          </span>
        )}
        <span class="last-seen muted" title={agent.lastSeen === null ? undefined : new Date(agent.lastSeen).toLocaleString()}>
          seen {timeAgo(agent.lastSeen, now)}
        </span>
      </header>

      {health === null ? (
        <p class="muted">No health report yet.</p>
      ) : (
        <>
          <dl class="facts">
            <dt>Device</dt>
            <dd>
              {health.device.model} · {health.device.arch}
            </dd>
            <dt>Accelerator</dt>
            <dd>{health.device.accelerator ?? "none (CPU)"}</dd>
            <dt>Models</dt>
            <dd>
              <ul class="plain models">
                {health.models.map((model) => (
                  <li key={model.role}>
                    <span class="muted">{model.role}</span> {model.model} <span class="provider">{model.provider}</span>
                  </li>
                ))}
              </ul>
            </dd>
            <dt>CPU</dt>
            <dd>
              <CpuLoadBars loadPerCore={health.cpu.loadPerCore} />
            </dd>
            <dt>Temp.</dt>
            <dd>
              {health.cpu.temperatureC === null ? "–" : `${num(health.cpu.temperatureC)} °C`}
              {isThrottled(health.cpu.throttled) ? (
                <span class="badge badge-warn" title={`get_throttled ${health.cpu.throttled}`}>
                  throttled {health.cpu.throttled}
                </span>
              ) : health.cpu.throttled !== null ? (
                <span class="muted"> · not throttled</span>
              ) : null}
            </dd>
            {health.gpu && (
              <>
                <dt>GPU</dt>
                <dd>
                  {health.gpu.loadPercent === null ? "–" : `${Math.round(health.gpu.loadPercent)}%`}
                  {health.gpu.temperatureC !== null && ` · ${num(health.gpu.temperatureC)} °C`}
                </dd>
              </>
            )}
            <dt>Memory</dt>
            <dd>
              <Meter
                fraction={health.memory.usedMiB / health.memory.totalMiB}
                label="Memory used"
                text={`${mib(health.memory.usedMiB)} / ${mib(health.memory.totalMiB)}`}
              />
            </dd>
            <dt>Frames/s</dt>
            <dd>
              in {num(health.fps.in)} · out {num(health.fps.out)} <span class="muted">· capacity {num(health.capacityFps)}</span>
            </dd>
            {health.attributes && (
              <>
                <dt>Attributes</dt>
                <dd
                  data-testid={`attributes-${agent.id}`}
                  title={`per frame: p50 ${health.attributes.msPerFrame.p50} ms, p95 ${health.attributes.msPerFrame.p95} ms`}
                >
                  {health.attributes.estimates} faces estimated
                  {health.attributes.msPerEstimate !== null && <span class="muted"> · {num(health.attributes.msPerEstimate)} ms each</span>}
                </dd>
              </>
            )}
            <dt>Version</dt>
            <dd>
              agent {health.agentVersion}
              {health.galleryVersion !== null && <span class="muted"> · gallery v{health.galleryVersion}</span>}
            </dd>
          </dl>
          <details class="latency-details" open>
            <summary>Latency per stage, ms (p50 / p95)</summary>
            <StageLatencies latencyMs={health.latencyMs} />
          </details>
        </>
      )}

      <section class="owned" aria-label="Owned partitions">
        <h3>Partitions</h3>
        {agent.partitions.length === 0 ? (
          <p class="muted">none</p>
        ) : (
          <ul class="plain owned-list">
            {agent.partitions.map((partition) => {
              const lag = lagOf(partition);
              return (
                <li key={partition} class="owned-partition">
                  P{partition} <span class="muted">lag {lag === null ? "–" : lag}</span>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </article>
  );
}
