// One card per task: stage badge and timeline, the numbers, and charts over executions.

import { fill, h, oneOf } from "../dom.mjs";
import { ChartRow } from "./charts.mjs";
import { STAGE_NAMES, STAGES, count, counted, ms, pct, stageWords, usd } from "./format.mjs";
import { perThousand, savedText } from "./savings.mjs";

const CHARTS = [
  { key: "cost", title: "Cost per execution", column: 1, format: usd, color: "#9a3412" },
  { key: "llm", title: "LLM-call rate", column: 2, format: (v) => pct(v, 0), yMax: 1, color: "#1f6feb" },
  { key: "agreement", title: "Agreement with LLM", column: 3, format: (v) => pct(v, 0), yMax: 1, color: "#1a7f37" },
];

const FIELDS = [
  ["executions", "Executions"], ["success", "Success rate"], ["llm_rate", "LLM-call rate"],
  ["agreement", "Agreement with LLM (code's answers)"], ["accuracy", "Accuracy (labels)"], ["avg", "Avg latency (incl. synthesis)"],
  ["p95", "p95 latency (excl. synthesis)"], ["cpe", "Cost / execution"], ["total", "Total cost"], ["saved", "Cost saved"],
  ["per1k", "Per 1,000 executions"],
];

function skeleton(task, handlers) {
  const id = `task-${task.replace(/[^\w-]/g, "_")}`;
  return h("article", { class: "panel task-card", dataset: { task }, "aria-labelledby": `${id}-title` },
    h("div", { class: "panel-head" },
      h("h2", { id: `${id}-title` }, "Task ", h("span", { class: "task-name" }, task)),
      h("span", { class: "stage-badge", dataset: { field: "badge" } })),
    h("ol", { class: "timeline", "aria-label": `Stages of ${task}` },
      STAGES.map((stage) => h("li", { dataset: { stage } }, STAGE_NAMES[stage]))),
    h("p", { class: "small muted", dataset: { field: "changes" } }),
    h("div", { class: "why small", dataset: { field: "why" } },
      h("p", { dataset: { field: "next" } }), h("ul", { dataset: { field: "figures" } })),
    h("dl", { class: "metrics" },
      FIELDS.map(([key, label]) => h("div", {}, h("dt", {}, label), h("dd", { dataset: { field: key } }, "—")))),
    h("div", { class: "charts", dataset: { field: "charts" } }),
    h("div", { class: "card-actions" },
      h("button", { type: "button", dataset: { action: "code" }, on: { click: () => handlers.showCode(task) } }, "View code"),
      h("button", { type: "button", dataset: { action: "evolve" }, on: { click: () => handlers.evolve(task) } }, "Promote now…")));
}

/** Write `text` into `element` only when it differs. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** A stage's display name; anything that is not a stage shows as a dash. */
function stageName(stage) {
  return STAGE_NAMES[oneOf(stage, STAGES)] || "—";
}

export class TaskCards {
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.cards = new Map();
    this.chartKeys = new Map();
    this.chartRows = new Map();
    this.machine = null; // the machine whose cards these are
  }

  /** Forget every card and free its charts (the page is about to show something else). */
  clear() {
    this.cards.clear();
    this.chartKeys.clear();
    this.sweep();
  }

  /** Free the charts of cards no longer on the page (the page may replace them wholesale). */
  sweep() {
    for (const [card, row] of this.chartRows) {
      if (card.isConnected && this.cards.get(card.dataset.task) === card) continue;
      row.destroy();
      this.chartRows.delete(card);
    }
  }

  render(state) {
    const tasks = Object.keys(state.tasks || {});
    // Another machine's tasks may bear the same names: its cards are new cards, charts and all.
    const machine = state.machine_id ?? null;
    if (machine !== this.machine || tasks.join("|") !== [...this.cards.keys()].join("|")) {
      this.machine = machine;
      this.root.replaceChildren();
      this.cards.clear();
      this.chartKeys.clear();
      for (const task of tasks) {
        const card = skeleton(task, this.handlers);
        this.cards.set(task, card);
        this.root.append(card);
      }
    }
    this.sweep();
    for (const task of tasks) this.update(this.cards.get(task), state.tasks[task], (state.series || {})[task]);
  }

  update(card, m, series) {
    // Only what changed is written: a run refreshes the cards several times a second, and a
    // write of the same text still makes the page lay out and paint again.
    const set = (key, text) => setText(card.querySelector(`[data-field="${key}"]`), text);
    const stage = oneOf(m.stage, STAGES, "");
    const badge = card.querySelector('[data-field="badge"]');
    setText(badge, stageName(stage));
    if (badge.dataset.stage !== stage) badge.dataset.stage = stage;
    const index = STAGES.indexOf(stage);
    card.querySelectorAll(".timeline li").forEach((li, i) => {
      const now = i < index ? "past" : i === index ? "current" : "future";
      if (li.dataset.state === now) return;
      li.dataset.state = now;
      if (i === index) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    const changes = (series && series.changes) || [];
    set("changes", changes.length
      ? `Stage changes: ${changes.map((c) => `→ ${stageName(c.to)} at execution ${count(c.at)}`).join(" · ")}`
      : "No stage change yet.");
    const why = m.why || {};
    set("next", why.next_step ? `Next: ${stageWords(why.next_step)}` : "");
    const figures = Array.isArray(why.figures) ? why.figures.map(stageWords) : [];
    const list = card.querySelector('[data-field="figures"]');
    if (list.dataset.key !== figures.join("\n")) {
      list.dataset.key = figures.join("\n");
      fill(list, figures.map((text) => h("li", {}, text)));
    }
    const perf = m.performance_metrics || {};
    const ran = m.execution_count > 0; // rates and means of no execution are "—", not 0
    const measured = (format, value) => (ran ? format(value) : "—");
    set("executions", count(m.execution_count));
    set("success", measured(pct, m.success_rate));
    set("llm_rate", measured(pct, m.llm_call_rate));
    // Measured agreement restarts with each stage; before the first check of a stage, show
    // the lifetime figure (code_only asks the LLM only when audits are switched on).
    const agreement = card.querySelector('[data-field="agreement"]');
    const [text, title] = m.agreement_rate !== null
      ? [`${pct(m.agreement_rate)} (${counted(m.agreement_checks, "check")})`, "measured by shadow checks in this stage"]
      : m.lifetime_agreement_rate != null
        ? [`${pct(m.lifetime_agreement_rate)} in earlier stages`, `no check in this stage yet; ${counted(m.shadow_checks, "shadow check")} before it`]
        : ["—", "no shadow check yet"];
    setText(agreement, text);
    if (agreement.title !== title) agreement.title = title;
    set("accuracy", pct(m.accuracy));
    set("avg", measured(ms, perf.avg_execution_time_ms));
    set("p95", measured(ms, perf.p95_execution_time_ms));
    set("cpe", measured(usd, perf.cost_per_execution));
    set("total", usd(perf.total_cost));
    set("saved", savedText(m));
    set("per1k", perThousand(m, series));
    const points = (series && series.points) || [];
    const key = `${points.length}:${points.length ? points[points.length - 1][0] : 0}:${changes.length}`;
    if (this.chartKeys.get(card) === key) return;
    this.chartKeys.set(card, key);
    let row = this.chartRows.get(card);
    if (!row) {
      row = new ChartRow(card.querySelector('[data-field="charts"]'), CHARTS, `${card.getAttribute("aria-labelledby").replace(/-title$/, "")}-chart`);
      this.chartRows.set(card, row);
    }
    row.update(points, changes);
  }
}
