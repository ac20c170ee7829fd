/** Small formatters shared by the views. */

export function timeAgo(epochMs: number | null, now: number): string {
  if (epochMs === null) return "never";
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export function clockTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}

/** 1 decimal below 10, none above: 3.2, 14, 120. */
export function num(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const text = Math.abs(value) < 10 ? value.toFixed(1) : Math.round(value).toString();
  return unit ? `${text} ${unit}` : text;
}

export function mib(value: number): string {
  return value >= 1024 ? `${(value / 1024).toFixed(1)} GiB` : `${Math.round(value)} MiB`;
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** Raspberry Pi get_throttled: any bit set means under-voltage / capping / throttling now or since boot. */
export function isThrottled(flags: string | null): boolean {
  if (flags === null) return false;
  const value = Number.parseInt(flags.replace(/^0x/i, ""), 16);
  return Number.isFinite(value) && value !== 0;
}
