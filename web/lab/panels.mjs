// The code viewer, versions (save, list, diff, rollback), pattern library and activity panels.

import { ask } from "../dialog.mjs";
import { fill, h, keepFocusNear, onSubmitOnce, oneOf } from "../dom.mjs";
import { scoresCaption } from "./code-scores.mjs";
import { renderCompare } from "./compare.mjs";
import { highlightPython } from "./highlight.mjs";
import { STAGE_NAMES, STAGES, count, pct, records, stageWords, when } from "./format.mjs";

const $ = (id) => document.getElementById(id);
const stageName = (stage) => STAGE_NAMES[oneOf(stage, STAGES)] || String(stage ?? "—");
const num = (value) => (Number.isFinite(value) ? count(value) : "—");

/** A version's name for people: its label, else when it was saved (never its id alone). */
export function versionName(v) {
  if (!v) return "that version";
  return v.label ? `“${v.label}”` : `saved ${when(v.created_at)}`;
}

export function download(filename, text, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function fillSelect(select, values, labels = values) {
  const previous = select.value;
  const key = values.join("|");
  if (select.dataset.key !== key) {
    select.replaceChildren(...values.map((v, i) => new Option(labels[i], v)));
    select.dataset.key = key;
  }
  if (values.includes(previous)) select.value = previous;
}

export class CodePanel {
  constructor(bridge, notify) {
    this.bridge = bridge;
    this.notify = notify;
    this.shown = null;
    this.current = null;
    this.machine = null; // the machine whose code is shown: tasks of two machines can share names
    $("code-task").addEventListener("change", () => this.show($("code-task").value));
    $("code-download").addEventListener("click", () => {
      if (this.current?.source) download(this.current.filename, this.current.source, "text/x-python");
    });
    // The JavaScript export (lookup, naive Bayes and linear modules), rendered when asked.
    $("code-download-js").addEventListener("click", () => this.downloadJs("text", "filename", "text/javascript"));
    $("code-download-dts").addEventListener("click", () => this.downloadJs("types", "types_filename", "application/typescript"));
  }

  async downloadJs(field, name, type) {
    if (!this.current?.source) return;
    const found = await this.notify.guard(() => this.bridge.codeJs(this.current.task));
    if (found) download(found[name], found[field], type);
  }

  async render(state) {
    const tasks = Object.keys(state.tasks || {});
    fillSelect($("code-task"), tasks);
    if (!tasks.length) { this.clear("No machine loaded."); return; }
    const task = tasks.includes($("code-task").value) ? $("code-task").value : tasks[0];
    const info = state.tasks[task].code;
    this.machine = state.machine_id;
    const key = `${this.machine}:${task}:${info.version}:${state.tasks[task].stage}`;
    if (key !== this.shown) await this.show(task);
  }

  clear(message) {
    this.current = null;
    this.shown = null;
    fill($("code-meta"), h("p", { class: "muted" }, message));
    $("code-view").querySelector("code").textContent = "";
    $("code-download").disabled = true;
    $("code-download-js").disabled = $("code-download-dts").disabled = true;
  }

  async show(task) {
    $("code-task").value = task;
    const info = await this.bridge.code(task);
    this.current = info;
    this.shown = `${this.machine}:${task}:${info.version}:${info.stage}`;
    if (!info.source) {
      this.clear(`Task ${task} has no generated code yet: it is written once the task has enough history (it then moves to hybrid).`);
      this.shown = `${this.machine}:${task}:${info.version}:${info.stage}`;
      return;
    }
    const last = info.last_synthesis || {};
    const scores = Object.entries(last.scores || {});
    const { caption, mark } = scoresCaption(last, info.version);
    const rows = scores.map(([name, score]) => h("tr", { class: score.selected ? "selected" : null },
      h("th", { scope: "row" }, name, score.selected ? mark : ""),
      h("td", {}, score.dropped
        ? h("span", { class: "muted" }, `dropped: ${String(score.dropped).slice(0, 90)}`)
        : pct(score.heldout_agreement)),
      h("td", {}, score.rank === undefined ? "—" : pct(score.rank, 0)),
      h("td", {}, score.coverage === undefined ? "—" : pct(score.coverage, 0)),
      h("td", {}, num(score.n_heldout))));
    fill($("code-meta"),
      h("p", {},
        h("strong", {}, task), " · version ", h("strong", { dataset: { field: "code-version" } }, String(info.version || "—")),
        ` · stage ${stageName(info.stage)} · winner `, h("strong", {}, String(info.synthesizer || "—")),
        " · held-out agreement ", h("strong", {}, pct(info.heldout_agreement)),
        ` · ${count(info.source.split("\n").length)} lines`),
      rows.length ? h("table", { class: "scores" },
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, ["Synthesizer", "Held-out agreement", "Within budget", "Coverage", "Held-out size"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows)) : null);
    $("code-view").querySelector("code").replaceChildren(highlightPython(info.source));
    $("code-download").disabled = false;
    const exportable = info.exportable === true;  // Python read the module: a kind it exports
    $("code-download-js").disabled = $("code-download-dts").disabled = !exportable;
  }
}

/** The machine ran on since its last saved version: rolling back loses that. True to go on. */
async function confirmRollback(name) {
  const choice = await ask({
    title: `Roll back to ${name}?`,
    lines: [
      "The machine has run on since its last saved version: those steps, the code they learnt and their charts are lost.",
      "Save a version first to be able to come back to where it is now.",
    ],
    choices: [
      { value: false, label: "Cancel", id: "rollback-cancel" },
      { value: true, label: `Roll back to ${name}`, kind: "danger", id: "rollback-confirm" },
    ],
    cancelValue: false,
  });
  return choice === true;
}

export class VersionsPanel {
  constructor(bridge, notify, afterChange) {
    this.bridge = bridge;
    this.notify = notify;
    onSubmitOnce($("version-form"), async () => {
      const saved = await notify.guard(() => bridge.saveVersion($("version-label").value.trim() || null));
      if (!saved) return;
      $("version-label").value = "";
      const v = saved.versions.find((version) => version.id === saved.id);
      notify.say(v?.label ? `Saved version “${v.label}”.` : `Saved a version (no label), ${when(v?.created_at)}.`);
    });
    $("diff-btn").addEventListener("click", () => this.diff());
    $("versions-body").addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-rollback]");
      if (!button) return;
      const id = button.dataset.rollback;
      const name = versionName(this.byId.get(id));
      if (this.unsaved && !(await confirmRollback(name))) return;
      const state = await notify.guard(() => bridge.rollback(id));
      if (state) { notify.say(`Rolled back to ${name}`); afterChange?.(state); keepFocusNear(button, $("versions-title")); }
    });
  }

  /** Forget the comparison shown (another machine, or a reset: its versions are gone). */
  clear() {
    $("diff-view").replaceChildren();
  }

  render(state) {
    const versions = state.versions || [];
    this.byId = new Map(versions.map((v) => [v.id, v]));
    // Steps no saved version holds: a roll back loses them, so it asks first.
    this.unsaved = Boolean(state.step_count) && !versions.some((v) => v.at);
    const body = $("versions-body");
    // Everything the rows show goes into the key: an import can keep a version's id and change
    // its label or metrics, and the table must follow.
    const key = JSON.stringify(versions.map((v) => [v.id, v.head, v.at, v.label, v.created_at, v.metrics]));
    if (body.dataset.key !== key) {
      body.dataset.key = key;
      fill(body, versions.length ? versions.slice().reverse().map((v) => {
        const stages = Object.entries(v.metrics || {}).map(([t, m]) => `${t}: ${stageName(m.stage)} (${num(m.executions)})`).join(", ");
        const id = String(v.id);
        const name = v.label ? h("strong", {}, String(v.label)) : h("span", { class: "muted", title: id }, "no label");
        return h("tr", { class: v.head ? "head" : null },
          // "current" while the machine is where the version left it; once it ran on, the
          // version is only the last one saved on this run
          h("td", {}, name, v.head ? [" ", h("span", { class: "pill" }, v.at ? "current" : "last saved")] : null),
          h("td", {}, when(v.created_at)),
          h("td", {}, stages),
          // The machine is where this version left it: rolling back to it would change nothing.
          h("td", {}, v.at ? h("span", { class: "muted" }, "here now")
            : h("button", { type: "button", dataset: { rollback: id }, "aria-label": `Roll back to version ${v.label || `saved ${when(v.created_at)}`}` }, "Roll back")));
      }) : h("tr", {}, h("td", { colSpan: 4, class: "muted" }, "No versions yet: save one to keep this point.")));
    }
    const ids = versions.map((v) => v.id);
    const labels = versions.map((v) => `${v.label ? `${v.label} · ` : ""}${when(v.created_at)}`);
    fillSelect($("diff-a"), ids, labels);
    fillSelect($("diff-b"), ids, labels);
    if (ids.length >= 2 && $("diff-a").value === $("diff-b").value) {
      $("diff-a").value = ids[ids.length - 2];
      $("diff-b").value = ids[ids.length - 1];
    }
  }

  async diff() {
    const a = $("diff-a").value;
    const b = $("diff-b").value;
    // One version saved: both pickers name it, and it would be compared with itself.
    // A refused comparison clears the last one: it would stand beside the message as if it
    // answered the pickers.
    if (!a || !b || this.byId.size < 2) { $("diff-view").replaceChildren(); this.notify.say("Save two versions to compare them."); return; }
    if (a === b) { $("diff-view").replaceChildren(); this.notify.say("Pick two different versions to compare."); return; }
    const [result, compared] = await Promise.all([
      this.notify.guard(() => this.bridge.diff(a, b)), this.notify.guard(() => this.bridge.compare(a, b))]);
    if (!result) return;
    const fmt = (v) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
    fill($("diff-view"), result.rows.length
      ? h("table", { class: "diff" },
        h("thead", {}, h("tr", {}, ["What", "Before", "After"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, result.rows.map((r) => h("tr", {}, h("th", { scope: "row" }, String(r.what)), h("td", {}, fmt(r.before)), h("td", {}, fmt(r.after))))))
      : h("p", { class: "muted" }, "The two versions are the same."));
    if (compared) $("diff-view").prepend(renderCompare(compared));
  }
}

export class PatternsPanel {
  constructor(bridge, notify) {
    this.bridge = bridge;
    this.notify = notify;
    this.tasks = [];
    onSubmitOnce($("pattern-save-form"), async () => {
      const task = $("pattern-task").value;
      const saved = await notify.guard(() => bridge.savePattern(task, $("pattern-name").value.trim()));
      if (saved) { $("pattern-name").value = ""; notify.say(`Saved pattern ${saved.name} ${saved.version}`); this.refresh(); }
    });
    let timer = null;
    $("pattern-search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => this.refresh(), 200); });
    $("patterns-list").addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-import]");
      if (!button) return;
      const select = button.parentElement.querySelector("select");
      const result = await notify.guard(() => bridge.importPattern(button.dataset.import, select.value, button.dataset.version));
      if (result) notify.say(`Imported ${result.pattern} into ${select.value}: installed at ${STAGE_NAMES[result.installed_stage] || result.installed_stage}` +
        (result.agreement === null ? "" : ` (agreement ${pct(result.agreement)} on ${records(result.checked)})`));
    });
  }

  render(state) {
    this.tasks = Object.keys(state.tasks || {});
    fillSelect($("pattern-task"), this.tasks);
    this.refresh();
  }

  async refresh() {
    const search = $("pattern-search").value;
    const patterns = await this.bridge.patterns(search).catch(() => []);
    // None found by a search: say so (not 'No patterns yet') when there are patterns to find.
    const stored = !patterns.length && search.trim() ? (await this.bridge.patterns("").catch(() => [])).length : 0;
    // Offered into the tasks whose outputs it fits (the engine says which), every task when
    // it does not say (nothing loaded).
    const into = (p) => (Array.isArray(p.fits) ? this.tasks.filter((t) => p.fits.includes(t)) : this.tasks);
    const key = JSON.stringify([patterns.map((p) => [`${p.name}@${p.version}`, into(p)]), this.tasks, stored ? search : ""]);
    const list = $("patterns-list");
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    if (!patterns.length) {
      fill(list, h("li", { class: "muted" }, stored
        ? `No patterns match “${search.trim()}”: clear the search to see all ${count(stored)}.`
        : "No patterns yet: once a task has code, save it here to reuse it in other machines."));
      return;
    }
    fill(list, patterns.map((p, i) => {
      const m = p.performance_metrics || {};
      const from = `${p.trained_on?.machine_id || "?"}/${p.trained_on?.task_name || "?"}`;
      const tasks = into(p);
      if (this.tasks.length && !tasks.length) {
        return h("li", {}, h("div", {},
          h("strong", {}, String(p.name)), " ", h("span", { class: "pill" }, String(p.version)), " ",
          h("span", { class: "muted small" }, `from ${from} · can answer what no task of this machine allows: nothing to import it into`)));
      }
      return h("li", {},
        h("div", {},
          h("strong", {}, String(p.name)), " ", h("span", { class: "pill" }, String(p.version)), " ",
          h("span", { class: "muted small" },
            `${stageName(p.stage)} · ${p.synthesizer || "?"} · success ${pct(m.success_rate)} over ${num(m.execution_count)} · from ${from}`)),
        h("div", { class: "inline" },
          h("label", { htmlFor: `pattern-into-${i}` }, "into"),
          h("select", { id: `pattern-into-${i}` }, tasks.map((t) => h("option", {}, t))),
          h("button", { type: "button", dataset: { import: String(p.name), version: String(p.version) }, disabled: !tasks.length }, "Import")));
    }));
  }
}

export function renderActivity(state) {
  const list = $("activity");
  const mutations = (state.mutations || []).slice(-30).reverse();
  // What is listed, not how many: a Roll back or another machine can leave as many as before.
  const versions = new Map((state.versions || []).map((v) => [v.id, v]));
  const key = JSON.stringify([mutations, [...versions.values()].map((v) => [v.id, v.label])]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  fill(list, mutations.length ? mutations.map((m) => {
    const d = m.data || {};
    let text;
    if (m.type === "task_evolution") text = `${d.task}: ${stageName(d.from_stage)} → ${stageName(d.to_stage)}${d.reason ? ` — ${stageWords(d.reason)}` : ""}`;
    else if (m.type === "rollback") {
      const to = versions.get(d.to_version);
      text = `rolled back to ${to ? `version ${versionName(to)}` : "a version no longer stored"}`;
    }
    else if (m.type === "pattern_import") text = `${d.task}: imported pattern ${d.pattern} ${d.version} at ${stageName(d.installed_stage)}`;
    else text = `${m.type} ${JSON.stringify(d)}`;
    return h("li", {}, h("time", {}, when(m.timestamp)), " ", text);
  }) : h("li", { class: "muted" }, "Stage changes, rollbacks and imports appear here."));
}
