// The code viewer, versions (save, list, diff, rollback), pattern library and activity panels.

import { escapeHtml, highlightPython } from "./highlight.mjs";
import { STAGE_NAMES, count, pct, when } from "./format.mjs";

const $ = (id) => document.getElementById(id);

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
    $("code-task").addEventListener("change", () => this.show($("code-task").value));
    $("code-download").addEventListener("click", () => {
      if (this.current?.source) download(this.current.filename, this.current.source, "text/x-python");
    });
  }

  async render(state) {
    const tasks = Object.keys(state.tasks || {});
    fillSelect($("code-task"), tasks);
    if (!tasks.length) { this.clear("No machine loaded."); return; }
    const task = tasks.includes($("code-task").value) ? $("code-task").value : tasks[0];
    const info = state.tasks[task].code;
    const key = `${task}:${info.version}:${state.tasks[task].stage}`;
    if (key !== this.shown) await this.show(task);
  }

  clear(message) {
    this.current = null;
    this.shown = null;
    $("code-meta").innerHTML = `<p class="muted">${escapeHtml(message)}</p>`;
    $("code-view").querySelector("code").textContent = "";
    $("code-download").disabled = true;
  }

  async show(task) {
    $("code-task").value = task;
    const info = await this.bridge.code(task);
    this.current = info;
    this.shown = `${task}:${info.version}:${info.stage}`;
    if (!info.source) {
      this.clear(`Task ${task} has no generated code yet: it is written once the task has enough history (it then moves to hybrid).`);
      this.shown = `${task}:${info.version}:${info.stage}`;
      return;
    }
    const scores = Object.entries(info.last_synthesis?.scores || {});
    const rows = scores.map(([name, s]) => `<tr${s.selected ? ' class="selected"' : ""}><th scope="row">${escapeHtml(name)}${s.selected ? " ✓" : ""}</th>` +
      `<td>${s.dropped ? `<span class="muted">dropped: ${escapeHtml(String(s.dropped).slice(0, 90))}</span>` : pct(s.heldout_agreement)}</td>` +
      `<td>${s.coverage === undefined ? "—" : pct(s.coverage, 0)}</td><td>${s.n_heldout ?? "—"}</td></tr>`).join("");
    $("code-meta").innerHTML =
      `<p><strong>${escapeHtml(task)}</strong> · version <strong data-field="code-version">${escapeHtml(info.version || "—")}</strong> · ` +
      `stage ${escapeHtml(STAGE_NAMES[info.stage] || info.stage)} · winner <strong>${escapeHtml(info.synthesizer || "—")}</strong> · ` +
      `held-out agreement <strong>${pct(info.heldout_agreement)}</strong> · ${count(info.source.split("\n").length)} lines</p>` +
      (rows ? `<table class="scores"><caption>Held-out scores of each synthesizer at the last synthesis (execution ${count(info.last_synthesis.at)})</caption>` +
        `<thead><tr><th scope="col">Synthesizer</th><th scope="col">Held-out agreement</th><th scope="col">Coverage</th><th scope="col">Held-out size</th></tr></thead><tbody>${rows}</tbody></table>` : "");
    $("code-view").querySelector("code").innerHTML = highlightPython(info.source);
    $("code-download").disabled = false;
  }
}

export class VersionsPanel {
  constructor(bridge, notify, afterChange) {
    this.bridge = bridge;
    this.notify = notify;
    $("version-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const saved = await notify.guard(() => bridge.saveVersion($("version-label").value.trim() || null));
      if (saved) { $("version-label").value = ""; notify.say(`Saved version ${saved.id}`); }
    });
    $("diff-btn").addEventListener("click", () => this.diff());
    $("versions-body").addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-rollback]");
      if (!button) return;
      const id = button.dataset.rollback;
      const state = await notify.guard(() => bridge.rollback(id));
      if (state) { notify.say(`Rolled back to ${id}`); afterChange?.(state); }
    });
  }

  render(state) {
    const versions = state.versions || [];
    const body = $("versions-body");
    const key = versions.map((v) => `${v.id}${v.head ? "*" : ""}`).join("|");
    if (body.dataset.key !== key) {
      body.dataset.key = key;
      body.innerHTML = versions.length ? versions.slice().reverse().map((v) => {
        const stages = Object.entries(v.metrics || {}).map(([t, m]) => `${t}: ${STAGE_NAMES[m.stage] || m.stage} (${count(m.executions)})`).join(", ");
        const name = v.label ? `<strong>${escapeHtml(v.label)}</strong>` : `<code title="${escapeHtml(v.id)}">…${escapeHtml(v.id.slice(-6))}</code>`;
        return `<tr${v.head ? ' class="head"' : ""}><td>${name}${v.head ? ' <span class="pill">current</span>' : ""}</td>` +
          `<td>${when(v.created_at)}</td><td>${escapeHtml(stages)}</td>` +
          `<td><button type="button" data-rollback="${escapeHtml(v.id)}" aria-label="Roll back to version ${escapeHtml(v.label || v.id)}">Roll back</button></td></tr>`;
      }).join("") : '<tr><td colspan="4" class="muted">No versions yet: save one to keep this point.</td></tr>';
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
    if (!a || !b) { this.notify.say("Save two versions to compare them."); return; }
    const result = await this.notify.guard(() => this.bridge.diff(a, b));
    if (!result) return;
    const fmt = (v) => (v === null || v === undefined ? "—" : escapeHtml(typeof v === "object" ? JSON.stringify(v) : String(v)));
    $("diff-view").innerHTML = result.rows.length
      ? `<table class="diff"><thead><tr><th scope="col">What</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>${
        result.rows.map((r) => `<tr><th scope="row">${escapeHtml(r.what)}</th><td>${fmt(r.before)}</td><td>${fmt(r.after)}</td></tr>`).join("")}</tbody></table>`
      : '<p class="muted">The two versions are the same.</p>';
  }
}

export class PatternsPanel {
  constructor(bridge, notify) {
    this.bridge = bridge;
    this.notify = notify;
    this.tasks = [];
    $("pattern-save-form").addEventListener("submit", async (event) => {
      event.preventDefault();
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
        (result.agreement === null ? "" : ` (agreement ${pct(result.agreement)} on ${count(result.checked)} records)`));
    });
  }

  render(state) {
    this.tasks = Object.keys(state.tasks || {});
    fillSelect($("pattern-task"), this.tasks);
    this.refresh();
  }

  async refresh() {
    const patterns = await this.bridge.patterns($("pattern-search").value).catch(() => []);
    const key = JSON.stringify([patterns.map((p) => `${p.name}@${p.version}`), this.tasks]);
    const list = $("patterns-list");
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    if (!patterns.length) { list.innerHTML = '<li class="muted">No patterns yet: once a task has code, save it here to reuse it in other machines.</li>'; return; }
    list.innerHTML = patterns.map((p, i) => {
      const m = p.performance_metrics || {};
      const options = this.tasks.map((t) => `<option>${escapeHtml(t)}</option>`).join("");
      return `<li><div><strong>${escapeHtml(p.name)}</strong> <span class="pill">${escapeHtml(p.version)}</span> ` +
        `<span class="muted small">${escapeHtml(STAGE_NAMES[p.stage] || p.stage)} · ${escapeHtml(p.synthesizer || "?")} · success ${pct(m.success_rate)} over ${count(m.execution_count)} · from ${escapeHtml(p.trained_on?.machine_id || "?")}/${escapeHtml(p.trained_on?.task_name || "?")}</span></div>` +
        `<div class="inline"><label for="pattern-into-${i}">into</label><select id="pattern-into-${i}">${options}</select>` +
        `<button type="button" data-import="${escapeHtml(p.name)}" data-version="${escapeHtml(p.version)}" ${this.tasks.length ? "" : "disabled"}>Import</button></div></li>`;
    }).join("");
  }
}

export function renderActivity(state) {
  const list = $("activity");
  const mutations = (state.mutations || []).slice(-30).reverse();
  const key = `${(state.mutations || []).length}`;
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.innerHTML = mutations.length ? mutations.map((m) => {
    const d = m.data || {};
    let text;
    if (m.type === "task_evolution") text = `${d.task}: ${STAGE_NAMES[d.from_stage] || d.from_stage} → ${STAGE_NAMES[d.to_stage] || d.to_stage}${d.reason ? ` — ${d.reason}` : ""}`;
    else if (m.type === "rollback") text = `rolled back to ${d.to_version}`;
    else if (m.type === "pattern_import") text = `${d.task}: imported pattern ${d.pattern} ${d.version} at ${d.installed_stage}`;
    else text = `${m.type} ${JSON.stringify(d)}`;
    return `<li><time>${when(m.timestamp)}</time> ${escapeHtml(text)}</li>`;
  }).join("") : '<li class="muted">Stage changes, rollbacks and imports appear here.</li>';
}
