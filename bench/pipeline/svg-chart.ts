/**
 * A small line-chart writer (SVG text, no dependencies) for benchmark results: one line per series,
 * solid or dashed, points marked, a linear or log y axis with labelled ticks, an x axis whose ticks
 * are the given values placed evenly or on a log2 scale, optional horizontal reference lines, a legend.
 */

export type ChartPoint = { x: number; y: number };

export type ChartSeries = {
  label: string;
  color: string;
  dashed?: boolean;
  points: ChartPoint[];
};

export type ReferenceLine = { y: number; label: string; color?: string };

export type LineChart = {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** The x values that get a tick (and a label). */
  xTicks: number[];
  xScale?: "linear" | "log2";
  yScale?: "linear" | "log";
  /** Forced y range; default: from the data (and the reference lines), padded. */
  yMin?: number;
  yMax?: number;
  series: ChartSeries[];
  references?: ReferenceLine[];
  width?: number;
  height?: number;
  /** Room right of the plot for the legend, px (default 200). */
  legendWidth?: number;
};

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** 1, 2, 5 × powers of ten between lo and hi (log axis). */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

/** About six round ticks from 0 (or lo) to hi (linear axis). */
function linearTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

function tickLabel(v: number): string {
  if (v >= 1000 && v % 1000 === 0) return `${v / 1000}k`;
  return fmt(v);
}

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 760;
  const height = chart.height ?? 460;
  const margin = { left: 78, right: chart.legendWidth ?? 200, top: chart.subtitle ? 62 : 46, bottom: 58 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const logY = chart.yScale === "log";

  const ys = [...chart.series.flatMap((s) => s.points.map((p) => p.y)), ...(chart.references ?? []).map((r) => r.y)].filter(
    (y) => Number.isFinite(y) && (!logY || y > 0),
  );
  let yMin = chart.yMin ?? (ys.length > 0 ? Math.min(...ys) : 1);
  let yMax = chart.yMax ?? (ys.length > 0 ? Math.max(...ys) : 10);
  if (logY) {
    if (chart.yMin === undefined) yMin = pickLogFloor(yMin);
    if (chart.yMax === undefined) yMax = pickLogCeil(yMax * 1.15);
  } else {
    if (chart.yMin === undefined) yMin = 0;
    if (chart.yMax === undefined) yMax = yMax * 1.1;
  }
  if (yMax <= yMin) yMax = yMin + 1;

  const xs = chart.xTicks;
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const xPos = (x: number) => {
    const t =
      chart.xScale === "log2" ? (Math.log2(x) - Math.log2(xLo)) / (Math.log2(xHi) - Math.log2(xLo) || 1) : (x - xLo) / (xHi - xLo || 1);
    return margin.left + t * plotW;
  };
  const yPos = (y: number) => {
    const t = logY ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (y - yMin) / (yMax - yMin);
    return margin.top + (1 - t) * plotH;
  };

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${margin.left}" y="24" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`);
  if (chart.subtitle) out.push(`<text x="${margin.left}" y="44" font-size="12" fill="#555">${escapeXml(chart.subtitle)}</text>`);

  // Grid and y ticks.
  const yTicks = logY ? logTicks(yMin, yMax) : linearTicks(yMin, yMax);
  for (const v of yTicks) {
    const y = yPos(v).toFixed(1);
    out.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${margin.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`);
  }
  for (const v of xs) {
    const x = xPos(v).toFixed(1);
    out.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${margin.top + plotH + 18}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  // Axes.
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  const yLabelX = 18;
  const yLabelY = margin.top + plotH / 2;
  out.push(
    `<text x="${yLabelX}" y="${yLabelY}" text-anchor="middle" transform="rotate(-90 ${yLabelX} ${yLabelY})">${escapeXml(chart.yLabel)}${logY ? " (log scale)" : ""}</text>`,
  );

  // Reference lines.
  for (const r of chart.references ?? []) {
    if (r.y < yMin || r.y > yMax) continue;
    const y = yPos(r.y).toFixed(1);
    const color = r.color ?? "#c00";
    out.push(
      `<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="${color}" stroke-width="1.2" stroke-dasharray="2 4"/>`,
    );
    out.push(`<text x="${margin.left + 6}" y="${Number(y) - 5}" fill="${color}" font-size="11">${escapeXml(r.label)}</text>`);
  }

  // Series.
  for (const s of chart.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y) && (!logY || p.y > 0));
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${xPos(p.x).toFixed(1)},${yPos(p.y).toFixed(1)}`).join(" ");
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 5"' : ""} stroke-linejoin="round"/>`,
    );
    for (const p of pts) {
      const cx = xPos(p.x).toFixed(1);
      const cy = yPos(p.y).toFixed(1);
      out.push(
        s.dashed
          ? `<circle cx="${cx}" cy="${cy}" r="3.5" fill="#fff" stroke="${s.color}" stroke-width="1.8"/>`
          : `<circle cx="${cx}" cy="${cy}" r="4" fill="${s.color}"/>`,
      );
    }
  }

  // Legend, right of the plot.
  const lx = margin.left + plotW + 16;
  let ly = margin.top + 8;
  for (const s of chart.series) {
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 30}" y2="${ly}" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 5"' : ""}/>`,
    );
    out.push(`<text x="${lx + 38}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
    ly += 22;
  }
  for (const r of chart.references ?? []) {
    const color = r.color ?? "#c00";
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 30}" y2="${ly}" stroke="${color}" stroke-width="1.2" stroke-dasharray="2 4"/>`);
    out.push(`<text x="${lx + 38}" y="${ly}" dominant-baseline="middle">${escapeXml(r.label)}</text>`);
    ly += 22;
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** The 1-2-5 value at or below v. */
function pickLogFloor(v: number): number {
  const e = Math.floor(Math.log10(v));
  const m = [5, 2, 1].find((k) => k * 10 ** e <= v) ?? 1;
  return m * 10 ** e;
}

/** The 1-2-5 value at or above v. */
function pickLogCeil(v: number): number {
  const e = Math.floor(Math.log10(v));
  const m = [1, 2, 5, 10].find((k) => k * 10 ** e >= v) ?? 10;
  return m * 10 ** e;
}
