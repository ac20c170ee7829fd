/**
 * A small grouped bar chart (SVG text, no dependencies): per agent, the load before and after a
 * rebalance as two bars, and the agent's capacity as a tick across both.
 */
export type AgentBars = { label: string; before: number; after: number; capacity: number };

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);

export function renderLoadBars(title: string, subtitle: string, bars: readonly AgentBars[], yLabel: string): string {
  const width = Math.max(640, 80 + bars.length * 42);
  const height = 420;
  const left = 60;
  const right = 40;
  const top = 64;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...bars.flatMap((b) => [b.before, b.after, b.capacity])) * 1.08;
  const step = 10 ** Math.floor(Math.log10(max / 5));
  const tick = ([1, 2, 5, 10].find((m) => max / (m * step) <= 7) ?? 10) * step;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const slot = plotW / bars.length;
  const barW = Math.min(16, slot * 0.38);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`);
  for (let v = 0; v <= max; v += tick) {
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v * 100) / 100}</text>`);
  }
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  bars.forEach((b, i) => {
    const cx = left + slot * (i + 0.5);
    const over = (v: number) => v > b.capacity + 1e-9;
    out.push(
      `<rect x="${cx - barW}" y="${y(b.before)}" width="${barW}" height="${y(0) - y(b.before)}" fill="${over(b.before) ? "#d9534f" : "#9aa5b1"}"><title>${escapeXml(`${b.label} before: ${b.before.toFixed(1)} / ${b.capacity}`)}</title></rect>`,
    );
    out.push(
      `<rect x="${cx}" y="${y(b.after)}" width="${barW}" height="${y(0) - y(b.after)}" fill="${over(b.after) ? "#d9534f" : "#1f6fb4"}"><title>${escapeXml(`${b.label} after: ${b.after.toFixed(1)} / ${b.capacity}`)}</title></rect>`,
    );
    out.push(
      `<line x1="${cx - barW - 3}" x2="${cx + barW + 3}" y1="${y(b.capacity)}" y2="${y(b.capacity)}" stroke="#222" stroke-width="2"/>`,
    );
    out.push(`<text transform="translate(${cx + 4} ${top + plotH + 10}) rotate(45)" font-size="10">${escapeXml(b.label)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  const lx = left + 10;
  const ly = height - 16;
  const legend: [string, string][] = [
    ["#9aa5b1", "before"],
    ["#1f6fb4", "after rebalance"],
    ["#d9534f", "above capacity"],
  ];
  legend.forEach(([color, text], i) => {
    out.push(`<rect x="${lx + i * 150}" y="${ly - 9}" width="12" height="10" fill="${color}"/>`);
    out.push(`<text x="${lx + i * 150 + 16}" y="${ly}">${text}</text>`);
  });
  out.push(`<line x1="${lx + 450}" x2="${lx + 470}" y1="${ly - 4}" y2="${ly - 4}" stroke="#222" stroke-width="2"/>`);
  out.push(`<text x="${lx + 476}" y="${ly}">capacity</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
