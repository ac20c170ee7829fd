/**
 * A horizontal bar for a 0..1 fraction, with its text beside it; warns above 80 %, alarms above 95 %.
 * The bar is decoration: screen readers get `label: text`.
 */
export function Meter({ fraction, label, text }: { fraction: number; label: string; text: string }) {
  const clamped = Math.min(1, Math.max(0, fraction));
  const level = clamped > 0.95 ? "alarm" : clamped > 0.8 ? "warn" : "ok";
  return (
    <div class="meter-row">
      <div class={`meter meter-${level}`} aria-hidden="true" title={`${Math.round(clamped * 100)}%`}>
        <div class="meter-fill" style={{ width: `${clamped * 100}%` }} />
      </div>
      <span class="meter-text">
        <span class="visually-hidden">{label}: </span>
        {text}
      </span>
    </div>
  );
}
