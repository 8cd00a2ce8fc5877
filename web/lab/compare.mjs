// Two saved versions side by side, per task: a table of the figures each kept (stage, executions,
// LLM-call rate, agreement, accuracy, cost) and their charts overlaid (cost per execution, LLM-call
// rate, agreement over executions). Versions are named by label, else by when they were saved.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { h } from "../dom.mjs";
import { axisSize } from "./charts.mjs";
import { STAGE_NAMES, count, pct, usd } from "./format.mjs";

const ROWS = [
  ["stage", "Stage", (v) => STAGE_NAMES[v] || "—"],
  ["executions", "Executions", count],
  ["llm_call_rate", "LLM-call rate", (v) => pct(v)],
  ["agreement", "Agreement with LLM", (v) => pct(v)],
  ["accuracy", "Accuracy (labels)", (v) => pct(v)],
  ["total_cost", "Total cost", usd],
  ["cost_per_execution", "Cost / execution", usd],
];
// Chart point columns (app/series.py): [executions, cost per execution, LLM-call rate, agreement].
const CHARTS = [[1, "Cost per execution", usd], [2, "LLM-call rate", (v) => pct(v, 0)], [3, "Agreement with LLM", (v) => pct(v, 0)]];
const COLOURS = ["#8c959f", "#1a5fd0"];

function change(key, a, b) {
  if (a === null || a === undefined || b === null || b === undefined || key === "stage") return "";
  if (typeof a !== "number" || typeof b !== "number") return "";
  const d = b - a;
  if (d === 0) return "=";
  if (key === "executions") return `${d > 0 ? "+" : ""}${count(d)}`;
  if (key.endsWith("cost") || key === "cost_per_execution") return `${d > 0 ? "+" : "−"}${usd(Math.abs(d))}`;
  return `${d > 0 ? "+" : "−"}${(Math.abs(d) * 100).toFixed(1)} pts`;
}

function table(compared, task) {
  const pair = compared.tasks[task];
  const cell = (side, key, format) => (pair[side] ? format(pair[side][key]) : "—");
  return h("table", { class: "diff compare", dataset: { task } },
    h("caption", {}, `Task ${task}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), h("th", { scope: "col" }, compared.a.name),
      h("th", { scope: "col" }, compared.b.name), h("th", { scope: "col" }, "Change"))),
    h("tbody", {}, ROWS.map(([key, label, format]) => h("tr", { dataset: { figure: key } },
      h("th", { scope: "row" }, label), h("td", {}, cell("a", key, format)), h("td", {}, cell("b", key, format)),
      h("td", {}, pair.a && pair.b ? change(key, pair.a[key], pair.b[key]) : "")))));
}

function overlay(compared, task, column, title, format, width) {
  const series = compared.series[task] || { a: [], b: [] };
  const tables = ["a", "b"].map((side) => {
    const points = (series[side] || []).filter((p) => Number.isFinite(p[0]));
    return [points.map((p) => p[0]), points.map((p) => (Number.isFinite(p[column]) ? p[column] : null))];
  });
  const names = [compared.a.name, compared.b.name];
  const shown = [0, 1].filter((i) => tables[i][0].length);
  // The two versions' colours name them in the caption (uPlot's own legend was a bare table).
  const figure = h("figure", { class: "chart compare-chart", dataset: { column: String(column), points: `${tables[0][0].length},${tables[1][0].length}` } },
    h("figcaption", { class: "small" }, title, shown.map((i) => [" · ", h("span", { class: ["compare-key", i ? "key-b" : "key-a"] }, names[i])])));
  if (!shown.length) {
    figure.append(h("p", { class: "small muted" }, "No chart points saved with these versions."));
    return figure;
  }
  const data = uPlot.join(shown.map((i) => tables[i]));
  const opts = {
    width, height: 140, legend: { show: false }, cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [{ stroke: "#57606a", grid: { stroke: "#eaeef2" } },
      { stroke: "#57606a", grid: { stroke: "#eaeef2" }, size: axisSize, values: (u, ticks) => ticks.map(format) }],
    series: [{ label: "executions" },
      ...shown.map((i) => ({ label: names[i], stroke: COLOURS[i], width: 2, spanGaps: true, points: { show: false }, value: (u, v) => format(v) }))],
  };
  new uPlot(opts, data, figure);
  return figure;
}

/** The comparison of two versions, as one element for the versions panel. */
export function renderCompare(compared) {
  const tasks = Object.keys(compared.tasks || {});
  // As wide as the versions panel allows (one chart a row on a phone, up to two side by side).
  const panel = document.getElementById("diff-view")?.clientWidth || 0;
  const width = Math.max(240, Math.min(460, panel > 560 ? Math.floor(panel / 2) - 12 : panel - 8));
  return h("section", { class: "compare-view", "aria-label": `Comparing ${compared.a.name} with ${compared.b.name}` },
    h("h3", {}, `${compared.a.name} → ${compared.b.name}`),
    tasks.length ? tasks.map((task) => h("div", { class: "compare-task" }, table(compared, task),
      h("div", { class: "compare-charts" }, CHARTS.map(([column, title, format]) => overlay(compared, task, column, title, format, width)))))
      : h("p", { class: "muted" }, "Neither version has tasks."));
}
