/** A small busy indicator; `label` is what a screen reader hears. */
export function Spinner({ label = "Working" }: { label?: string }) {
  return <span class="spinner" role="status" aria-label={label} />;
}
