// Hand-made SVG line charts over executions, with stage changes marked as dashed lines.

import { escapeHtml } from "./highlight.mjs";

const W = 300;
const H = 120;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

/**
 * An SVG chart. `points` are [x, y] (y may be null: a gap); `changes` are {at, to};
 * `format` formats y-axis values; `yMax` fixes the top (else the data's max).
 */
export function lineChart({ title, points, changes = [], format = String, yMax = null, color = "#1f6feb" }) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]).filter((y) => y !== null && Number.isFinite(y));
  const x0 = 0;
  const x1 = Math.max(10, ...xs, ...changes.map((c) => c.at));
  const top = yMax ?? Math.max(1e-9, ...ys) * 1.1;
  const sx = (x) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y) => H - PAD.bottom - (y / top) * (H - PAD.top - PAD.bottom);
  let path = "";
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) { pen = false; continue; }
    path += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
    pen = true;
  }
  const last = ys.length ? ys[ys.length - 1] : null;
  const summary = `${title}: ${points.length ? `latest ${last === null ? "n/a" : format(last)} after ${xs[xs.length - 1]} executions` : "no data yet"}`;
  const grid = [0, 0.5, 1].map((f) => {
    const y = sy(top * f);
    return `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/>` +
      `<text class="axis" x="${PAD.left - 4}" y="${y + 3}" text-anchor="end">${escapeHtml(format(top * f))}</text>`;
  }).join("");
  const marks = changes.map((c) => {
    const x = sx(c.at);
    return `<line class="stage-mark" x1="${x}" x2="${x}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>` +
      `<text class="stage-label" x="${x + 3}" y="${PAD.top + 8}">${escapeHtml(c.to)}</text>`;
  }).join("");
  const dots = points.length === 1 && last !== null
    ? `<circle cx="${sx(xs[0])}" cy="${sy(last)}" r="2.5" fill="${color}"/>` : "";
  return `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(summary)}" preserveAspectRatio="none">` +
    `<title>${escapeHtml(summary)}</title>${grid}` +
    `<line class="axis-line" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/>` +
    `<text class="axis" x="${PAD.left}" y="${H - 6}">0</text>` +
    `<text class="axis" x="${W - PAD.right}" y="${H - 6}" text-anchor="end">${x1} executions</text>` +
    `${marks}<path d="${path}" fill="none" stroke="${color}" stroke-width="1.8"/>${dots}</svg></figure>`;
}
