/** One small vertical bar per CPU core (load in percent, 0..100). */
export function CpuLoadBars({ loadPerCore }: { loadPerCore: number[] }) {
  if (loadPerCore.length === 0) return <span class="muted">–</span>;
  const average = loadPerCore.reduce((sum, load) => sum + load, 0) / loadPerCore.length;
  return (
    <div class="cpu-bars" role="img" aria-label={`CPU load per core: ${loadPerCore.map((load) => `${Math.round(load)}%`).join(", ")}`}>
      {loadPerCore.map((load, core) => {
        const level = load > 95 ? "alarm" : load > 80 ? "warn" : "ok";
        return (
          <span key={core} class={`cpu-bar meter-${level}`} title={`core ${core}: ${Math.round(load)}%`}>
            <span class="meter-fill" style={{ height: `${Math.min(100, Math.max(0, load))}%` }} />
          </span>
        );
      })}
      <span class="cpu-average">{Math.round(average)}%</span>
    </div>
  );
}
