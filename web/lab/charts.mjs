// Charts over executions drawn with uPlot (vendored from npm by build.py), stage changes marked
// as labelled dashed lines by a draw-hook plugin. One uPlot per chart, kept for the card's life:
// new points go in with setData, at most every MIN_REDRAW_MS, and destroy() frees the canvases.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { h } from "../dom.mjs";
import { STAGE_NAMES, count } from "./format.mjs";

const HEIGHT = 150;
const MIN_REDRAW_MS = 250;
const FONT = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";
const AXIS = "#57606a";
const GRID = "#eaeef2";
// Same hues as the stage badges (lab.css), so a marker reads as the stage it starts.
const STAGE_COLOURS = { llm_only: "#4b5563", hybrid: "#6d28d9", code_first: "#0f766e", code_only: "#166534" };
// Round steps for an axis of whole executions.
const COUNT_STEPS = [1, 2, 5].flatMap((m) => [0, 1, 2, 3, 4, 5, 6, 7].map((e) => m * 10 ** e)).sort((a, b) => a - b);

let cssLoaded = false;
function loadCss() {
  if (cssLoaded) return;
  cssLoaded = true;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("../vendor/uplot/uPlot.min.css", import.meta.url).href;
  document.head.append(link);
}

// Canvases waiting to be drawn, one per animation frame: a uPlot redraw lays out its axes and
// paints its canvas (several ms each), and a card has three of them, more with more tasks.
const waiting = new Set();
let drawing = false;

function drawOneChart() {
  const [chart] = waiting;
  if (!chart) { drawing = false; return; }
  waiting.delete(chart);
  chart.draw();
  requestAnimationFrame(drawOneChart);
}

function drawSoon(chart) {
  waiting.add(chart);
  if (!drawing) { drawing = true; requestAnimationFrame(drawOneChart); }
}

/** A draw hook: one dashed line per stage change with the new stage's name, labels kept apart. */
function stageMarkers(getChanges) {
  return {
    hooks: {
      draw: [(u) => {
        const changes = getChanges();
        const figure = u.root.closest(".chart");
        const drawn = [];
        const { ctx, bbox } = u;
        const px = uPlot.pxRatio;
        const lineHeight = 14 * px;
        const rows = [];
        ctx.save();
        ctx.font = `600 ${Math.round(10.5 * px)}px system-ui, -apple-system, 'Segoe UI', sans-serif`;
        ctx.textBaseline = "top";
        ctx.textAlign = "left";
        for (const change of changes) {
          const x = Math.round(u.valToPos(change.at, "x", true));
          if (x < bbox.left - 1 || x > bbox.left + bbox.width + 1) continue;
          const colour = STAGE_COLOURS[change.to] || STAGE_COLOURS.hybrid;
          ctx.strokeStyle = colour;
          ctx.lineWidth = 2 * px;
          ctx.setLineDash([4 * px, 3 * px]);
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          const label = STAGE_NAMES[change.to] || change.to;
          const width = ctx.measureText(label).width;
          let left = x + 3 * px;
          if (left + width > bbox.left + bbox.width) left = x - 3 * px - width;
          let row = rows.findIndex((edge) => edge < left - 4 * px);
          if (row < 0) { row = rows.length; rows.push(0); }
          rows[row] = left + width;
          const top = bbox.top + 2 * px + row * lineHeight;
          ctx.setLineDash([]);
          ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
          ctx.fillRect(left - 2 * px, top - 1 * px, width + 4 * px, lineHeight - 1 * px);
          ctx.fillStyle = colour;
          ctx.fillText(label, left, top);
          drawn.push({ to: change.to, x: x / px, colour });
        }
        ctx.restore();
        if (figure) {
          figure.dataset.stageMarks = String(drawn.length);
          figure.dataset.markX = drawn.map((d) => d.x.toFixed(1)).join(",");
        }
      }],
    },
  };
}

/** The width a y axis needs for its tick labels (uPlot's `size` callback). */
export function axisSize(u, values) {
  if (!values) return 40;
  const longest = Math.max(...values.map((v) => String(v).length));
  return Math.ceil(longest * 6.6) + 14;
}

/** The x range: from 0 to just past the last execution or stage change, at least 10. */
function xRange(getChanges) {
  return (u, min, max) => [0, Math.ceil(Math.max(10, max ?? 0, ...getChanges().map((c) => c.at)) * 1.04)];
}

class Chart {
  constructor(figure, spec, getChanges) {
    this.spec = spec;
    this.figure = figure;
    this.readout = figure.querySelector(".chart-readout");
    this.summary = figure.querySelector(".chart-summary");
    this.plotEl = figure.querySelector(".chart-plot");
    const yRange = spec.yMax
      ? () => [0, spec.yMax]
      : (u, min, max) => [0, max > 0 ? max * 1.15 : 1e-4];
    const axis = { stroke: AXIS, font: FONT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1, size: 4 } };
    this.plot = new uPlot({
      width: Math.max(200, this.plotEl.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      scales: { x: { time: false, range: xRange(getChanges) }, y: { range: yRange } },
      axes: [
        { ...axis, label: "executions", labelFont: FONT, labelSize: 16, labelGap: 0, size: 24, space: 48,
          incrs: COUNT_STEPS, values: (u, splits) => splits.map((v) => count(v)) },
        { ...axis, size: axisSize, space: 26, values: (u, splits) => splits.map((v) => spec.format(v)) },
      ],
      series: [
        { label: "executions" },
        { label: spec.title, stroke: spec.color, width: 2, spanGaps: false, points: { size: 5, fill: spec.color } },
      ],
      plugins: [stageMarkers(getChanges)],
      hooks: { setCursor: [(u) => this.showReadout(u.cursor.idx)] },
    }, [[], []], this.plotEl);
    this.resizer = new ResizeObserver(() => {
      const width = this.plotEl.clientWidth;
      if (width > 0 && width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
    });
    this.resizer.observe(this.plotEl);
  }

  /** The caption's second line: the value under the cursor, else the latest one. */
  showReadout(idx) {
    const [xs, ys] = this.plot.data;
    const hovered = idx !== null && idx !== undefined && xs[idx] !== undefined;
    const at = hovered ? idx : xs.length - 1;
    if (at < 0) { this.readout.textContent = "no data yet"; return; }
    const value = ys[at] === null ? "no data" : this.spec.format(ys[at]);
    this.readout.textContent = `${hovered ? "" : "latest "}${value} at execution ${count(xs[at])}`;
  }

  /** Take new data; the canvas follows in an animation frame of its own (drawSoon). */
  setData(xs, ys) {
    this.next = [xs, ys];
    drawSoon(this);
  }

  draw() {
    if (!this.next || !this.plot) return;
    this.plot.setData(this.next);
    this.next = null;
    this.showReadout(this.plot.cursor.idx);
  }

  describe(xs, ys, changes) {
    const { title, format } = this.spec;
    const values = ys.filter((v) => v !== null && Number.isFinite(v));
    let text = `${title}: no data yet.`;
    if (xs.length) {
      const latest = ys[ys.length - 1];
      text = `${title} over ${count(xs[xs.length - 1])} executions: latest ${latest === null ? "no data" : format(latest)}`;
      if (values.length) text += `, lowest ${format(Math.min(...values))}, highest ${format(Math.max(...values))}`;
      text += ".";
    }
    if (changes.length) {
      text += ` Stage changes: ${changes.map((c) => `${STAGE_NAMES[c.to] || c.to} at execution ${count(c.at)}`).join(", ")}.`;
    }
    this.summary.textContent = text;
  }

  destroy() {
    waiting.delete(this);
    this.resizer.disconnect();
    this.plot.destroy();
    this.plot = null;
  }
}

/**
 * A row of charts over the same executions. `specs` are {key, title, column, format, yMax?, color}:
 * `column` picks the y value from each point [executions, ...values]. Call update() as often as
 * you like: the text summaries follow at once, the canvases at most every MIN_REDRAW_MS.
 */
export class ChartRow {
  constructor(container, specs, idPrefix) {
    loadCss();
    this.changes = [];
    this.pending = null;
    this.timer = null;
    this.lastDraw = 0;
    container.replaceChildren(...specs.map((s) => {
      const id = `${idPrefix}-${s.key}`;
      return h("figure", { class: "chart", dataset: { chart: s.key }, "aria-labelledby": `${id}-title` },
        h("figcaption", {},
          h("span", { id: `${id}-title`, class: "chart-title" }, s.title), " ",
          h("span", { class: "chart-readout", "aria-hidden": "true" })),
        h("div", { class: "chart-plot", role: "img", "aria-label": `${s.title} chart`, "aria-describedby": `${id}-summary` }),
        h("p", { id: `${id}-summary`, class: "chart-summary visually-hidden" }));
    }));
    const getChanges = () => this.changes;
    this.charts = specs.map((s) => new Chart(container.querySelector(`[data-chart="${s.key}"]`), s, getChanges));
  }

  update(points, changes) {
    this.pending = { points, changes };
    const xs = points.map((p) => p[0]);
    for (const chart of this.charts) chart.describe(xs, points.map((p) => p[chart.spec.column] ?? null), changes);
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastDraw + MIN_REDRAW_MS - performance.now());
    this.timer = setTimeout(() => requestAnimationFrame(() => this.flush()), wait);
  }

  flush() {
    this.timer = null;
    if (!this.pending || !this.charts) return;
    const { points, changes } = this.pending;
    this.pending = null;
    this.lastDraw = performance.now();
    this.changes = changes;
    const xs = points.map((p) => p[0]);
    for (const chart of this.charts) chart.setData(xs, points.map((p) => p[chart.spec.column] ?? null));
  }

  destroy() {
    clearTimeout(this.timer);
    this.timer = null;
    for (const chart of this.charts || []) chart.destroy();
    this.charts = null;
  }
}
