// The trace table: one task's executions, newest first, filtered and searched in the engine. The
// table is virtual: it is as tall as all the rows, but only the rows in view (plus a few) exist in
// the DOM, a fixed pool of row elements whose text is rewritten on scroll, and the engine is asked
// only for the pages of rows in view, so 100,000 rows scroll like 100. A row (click or Enter)
// opens the whole record below the table; the filtered rows download as CSV or JSON Lines.
// The table is one stop for Tab: the arrow keys, Page Up/Down, Home and End move between rows.

import { fill, h } from "../dom.mjs";
import { download } from "./panels.mjs";
import { count, counted, ms, usd } from "./format.mjs";

export const ROW_PX = 28;
const PAGE = 100;
const OVERSCAN = 8;
const VIEW_ROWS = 14;
const MOVES = { ArrowDown: 1, ArrowUp: -1, PageDown: VIEW_ROWS, PageUp: -VIEW_ROWS };
const STALE_MS = 1000;

const FILTERS = [
  ["all", "All executions"], ["disagreements", "Code and LLM disagree"], ["errors", "Errors"],
  ["code", "Answered by code"], ["llm", "Answered by the LLM"], ["memo", "Answered from memory"],
  ["checks", "Checks (audits and shadow)"], ["audits", "Audits"], ["shadow", "Shadow checks"],
  ["wrong", "Wrong against ground truth"],
];
const BY = { code: "code", llm: "LLM", memo: "memory", none: "nobody" };
const COLUMNS = [
  ["seq", "#", (r) => String(r.seq)],
  ["by", "Answered by", (r) => `${BY[r.by] || r.by}${r.check ? ` · ${r.check}` : ""}`],
  ["input", "Input", (r) => r.input ?? ""],
  ["output", "Output", (r) => r.output ?? ""],
  ["code", "Code said", (r) => (r.code == null ? "" : `${r.code}${r.code_confidence == null ? "" : ` (${r.code_confidence.toFixed(2)})`}`)],
  ["llm", "LLM said", (r) => r.llm ?? ""],
  ["agreed", "Agreed", (r) => (r.agreed === true ? "yes" : r.agreed === false ? "no" : "")],
  ["latency", "Latency", (r) => ms(r.latency_ms)],
  ["cost", "Cost", (r) => usd(r.cost)],
  ["error", "Error", (r) => r.error ?? ""],
];
const DETAIL = [
  ["seq", "Execution"], ["stage", "Stage"], ["answered_by", "Answered by"], ["used_llm", "LLM called"],
  ["check", "Check"], ["agreed", "Agreed"], ["output", "Output"], ["expected", "Ground truth"],
  ["correct", "Correct"], ["code_output", "Code said"], ["code_confidence", "Code confidence"],
  ["code_version", "Code version"], ["llm_output", "LLM said"], ["audited", "Answer audited"],
  ["success", "Succeeded"], ["error", "Error"], ["latency_ms", "Latency"], ["cost", "Cost"],
  ["input_tokens", "Input tokens"], ["output_tokens", "Output tokens"], ["timestamp", "Time"],
];

function show(key, value) {
  if (value === null || value === undefined) return "—";
  if (key === "latency_ms") return ms(value);
  if (key === "cost") return usd(value);
  if (key === "timestamp") return new Date(value * 1000).toLocaleString();
  if (typeof value === "boolean") return value ? "yes" : "no";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export class TracesPanel {
  constructor(bridge, notify, after) {
    this.bridge = bridge;
    this.notify = notify;
    this.tasks = [];
    this.total = 0;
    this.kept = 0;
    this.pages = new Map();   // page number -> rows, for the current query and version
    this.loading = new Map(); // page number -> promise
    this.generation = 0;      // bumps when the query changes; late answers are dropped
    this.frame = 0;
    this.steps = -1;
    this.machine = null;      // the machine whose executions are drawn
    this.lastLoad = 0;
    this.newest = null;       // the newest execution when the rows were loaded: offsets count from it
    this.loadedAfter = null;  // the bridge's machineChanges when they were loaded
    this.open = null;         // the execution shown below the table: {task, seq, key}
    this.reloading = null;    // the reload under way (one at a time), and whether it was
    this.again = false;       // asked for again meanwhile
    this.loads = 0;           // loads under way: they renumber the rows
    this.heading = null;      // a reload's count of the rows that came in above: pages wait for it
    this.keys = [];           // moving keys (arrows, Page, Home, End) pressed during a load
    this.replaying = false;   // those keys are being moved, in order
    this.build();
    after.after(this.section);
  }

  build() {
    const opt = ([value, label]) => h("option", { value }, label);
    this.task = h("select", { id: "traces-task", on: { change: () => this.reload() } });
    this.filter = h("select", { id: "traces-filter", on: { change: () => this.reload() } }, FILTERS.map(opt));
    let timer = 0;
    this.search = h("input", { id: "traces-search", type: "search", placeholder: "text in the input, an answer or an error",
      on: { input: () => { clearTimeout(timer); timer = setTimeout(() => this.reload(), 250); } } });
    this.summary = h("p", { id: "traces-summary", class: "small muted", "aria-live": "polite" });
    this.head = h("div", { class: "trace-row trace-head", role: "row" },
      COLUMNS.map(([key, label]) => h("div", { role: "columnheader", class: `c-${key}` }, label)));
    this.spacer = h("div", { class: "trace-spacer" });
    this.viewport = h("div", { id: "traces-viewport", class: "trace-viewport", role: "rowgroup", tabindex: "0",
      "aria-label": "Executions, newest first: arrow keys move between them, Enter opens one",
      on: { scroll: () => this.schedule() } }, this.spacer);
    this.pool = [];
    this.viewport.addEventListener("click", (event) => {
      const row = event.target.closest(".trace-row[data-seq]");
      if (row) this.show(Number(row.dataset.seq));
    });
    this.viewport.addEventListener("keydown", (event) => {
      const row = event.target.closest(".trace-row[data-seq]");
      if (row && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); this.show(Number(row.dataset.seq)); return; }
      this.move(event, row);
    });
    this.detail = h("div", { id: "trace-detail", class: "trace-detail", "aria-live": "polite" });
    this.section = h("section", { class: "panel traces-panel", id: "traces-panel", "aria-labelledby": "traces-title" },
      h("div", { class: "panel-head" }, h("h2", { id: "traces-title" }, "Traces"),
        h("div", { class: "inline" },
          h("button", { type: "button", id: "traces-csv", on: { click: () => this.export("csv") } }, "Export CSV"),
          h("button", { type: "button", id: "traces-jsonl", on: { click: () => this.export("jsonl") } }, "Export JSONL"))),
      h("div", { class: "inline trace-controls" },
        h("label", { htmlFor: "traces-task" }, "Task"), this.task,
        h("label", { htmlFor: "traces-filter" }, "Show"), this.filter,
        h("label", { htmlFor: "traces-search" }, "Search"), this.search),
      this.summary,
      h("div", { class: "trace-table", role: "table", "aria-label": "Executions", "aria-describedby": "traces-summary" },
        this.head, this.viewport),
      this.detail);
  }

  query() {
    return { task: this.task.value, where: this.filter.value, search: this.search.value.trim() };
  }

  /** Follow the page's state: the task list, and new executions (at most once a second while running). */
  render(state) {
    const tasks = state.loaded ? Object.keys(state.tasks || {}) : [];
    const machine = state.loaded ? state.machine_id : null;
    if (machine !== this.machine) {  // another machine: nothing of the last one stays drawn
      this.machine = machine;
      this.tasks = [];
      this.clear();
      this.viewport.scrollTop = 0;
    }
    if (tasks.join("|") !== this.tasks.join("|")) {
      this.tasks = tasks;
      const previous = this.task.value;
      fill(this.task, tasks.map((t) => h("option", { value: t }, t)));
      if (tasks.includes(previous)) this.task.value = previous;
      this.steps = -1;
    }
    this.section.hidden = !tasks.length;
    if (!tasks.length) { this.clear(); return; }
    const steps = state.step_count ?? 0;
    if (steps === this.steps) return;
    if (this.bridge.isRunning && performance.now() - this.lastLoad < STALE_MS) return;
    this.steps = steps;
    this.reload(false);
    this.recheck();
  }

  /** The executions changed (a run, a rollback, a restart): the one shown below the table is
   * drawn again as it is now, or taken away when it is no longer kept (it spoke of a run that
   * is gone). */
  async recheck() {
    const open = this.open;
    if (!open) return;
    const trace = await this.bridge.trace(open.task, open.seq).catch(() => null);
    if (this.open !== open) return; // another row was opened meanwhile, or the panel cleared
    if (!trace) { this.open = null; this.detail.replaceChildren(); return; }
    this.drawDetail(open.task, open.seq, trace);
  }

  clear() {
    this.generation += 1;
    this.pages.clear();
    this.loading.clear();
    this.keys.length = 0;
    this.reloading = null;    // (a reload under way is stale now: the next one starts afresh)
    this.again = false;
    this.total = 0;
    this.steps = -1;
    this.newest = null;
    this.open = null;
    this.spacer.style.height = "0px";
    for (const row of this.pool) { row.hidden = true; row.shows = null; }
    this.summary.textContent = "";
    this.detail.replaceChildren();
  }

  /** Ask again from the first page (the query or the data changed); `top` scrolls back up.
   * Otherwise (a run added executions above, newest first) a view scrolled down and a focused
   * row keep the executions they showed: the new rows come in above them, not under the
   * mouse or the keyboard. Every page of one load counts its offsets from the newest
   * execution that load saw, so pages fetched later line up while the run goes on. Moving
   * keys pressed during a load move after it, from the row it leaves focused: moved from the
   * old numbering, they went to another execution, or the load took the focus back. */
  reload(top = true) {
    // One reload at a time keeps the rows: a second one started before the first had drawn
    // counted from rows numbered two ways, and the focused row became another execution (CI
    // saw it). Asked again meanwhile, the reload under way loads once more when done (unless
    // another query or machine made it stale). Another query (top) starts at once: its rows
    // are new, and nothing is kept in place.
    if (!top && this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.again = false;
    const reloading = this.reloadWhileAsked(top).finally(() => {
      if (this.reloading === reloading) this.reloading = null;
      this.moveQueued(); // keys left by a reload another query made stale
    });
    this.reloading = reloading;
    return reloading;
  }

  /** Load, move the keys pressed meanwhile, and load again while asked to: the keys move
   * between loads, so a run that keeps asking never holds them back. */
  async reloadWhileAsked(top) {
    let generation = await this.load(top);
    await this.moveQueued();
    while (this.again && generation === this.generation) {
      this.again = false;
      generation = await this.load(false);
      await this.moveQueued();
    }
  }

  /** Load the rows once; resolves the load's generation (another load, or clear(), since
   * makes it stale). */
  async load(top) {
    this.loads += 1;
    try {
      return await this.loadOnce(top);
    } finally {
      this.loads -= 1;
    }
  }

  async loadOnce(top) {
    if (!this.task.value) return this.generation;
    if (top) this.keys.length = 0; // keys pressed on the rows of another query
    const previous = top ? null : this.newest;
    const active = document.activeElement;
    const row = this.viewport.contains(active) ? active.closest(".trace-row[data-seq]") : null;
    // (read now: once rows are redrawn, the focused element may show another execution)
    const focused = row ? Number(row.getAttribute("aria-rowindex")) - 1 : null;
    this.generation += 1;
    this.pages.clear();
    this.loading.clear();
    this.newest = null;
    this.heading = null;
    this.lastLoad = performance.now();
    if (top) this.viewport.scrollTop = 0;
    const generation = this.generation;
    const changes = this.bridge.machineChanges;
    this.loadedAfter = changes;
    let above = 0;
    if (previous !== null && (focused !== null || this.viewport.scrollTop > 0)) {
      // Rows to keep in place: first how many came in above them (at the top of the view
      // with no row focused, the new rows simply show).
      const q = this.query();
      const heading = this.bridge.traces(q.task, q.where, q.search, 0, 0, previous).catch((error) => {
        this.failed(error, generation);
        return null;
      });
      this.heading = heading;
      const head = await heading;
      if (this.heading === heading) this.heading = null;
      if (!head || generation !== this.generation) return generation;
      if (this.bridge.machineChanges !== changes) {
        // Another machine may have been opened meanwhile: these rows may be of tasks that are
        // gone. The page draws again once it is loaded, and this table loads then.
        this.steps = -1;
        return generation;
      }
      this.newest = head.newest;
      above = head.above || 0;
      if (above) {
        this.spacer.style.height = `${head.total * ROW_PX}px`;
        this.viewport.scrollTop += above * ROW_PX;
      }
    }
    await this.page(Math.floor(this.first() / PAGE));
    if (generation !== this.generation) return generation;
    // Drawn first, the focused row's element could show the row now in its slot, and the focus
    // was on another execution (CI saw it 8 rows off) until focusRow moved it: focusRow draws,
    // then focuses at once.
    if (focused !== null && above) await this.focusRow(focused + above);
    else this.draw();
    return generation;
  }

  first() { return Math.max(0, Math.floor(this.viewport.scrollTop / ROW_PX) - OVERSCAN); }

  /** A request for rows of load `generation` failed: say so, unless those rows are no longer
   * asked for (another query) or a change was asked for since they were loaded (another
   * machine opened: its tasks are others, and the page draws it again). */
  failed(error, generation) {
    if (generation === this.generation && this.bridge.machineChanges === this.loadedAfter) {
      this.notify.say(error.message || String(error), "error");
    }
  }

  page(number) {
    // Until a reload knows where its offsets count from, a page asked for would count from
    // another execution (a scroll, a key during the reload): ask once it knows.
    if (this.heading) return this.heading.then(() => this.page(number));
    if (this.pages.has(number)) return Promise.resolve(this.pages.get(number));
    if (this.loading.has(number)) return this.loading.get(number);
    const generation = this.generation;
    const q = this.query();
    const request = this.bridge.traces(q.task, q.where, q.search, number * PAGE, PAGE, this.newest).then((result) => {
      if (generation !== this.generation) return null;
      this.loading.delete(number);
      this.newest ??= result.newest; // the first page of a load fixes where offsets count from
      this.pages.set(number, result.rows);
      this.total = result.total - (result.above || 0); // the rows from this load's newest down
      this.kept = result.kept;
      this.limit = result.limit;
      this.spacer.style.height = `${this.total * ROW_PX}px`;
      const label = FILTERS.find(([v]) => v === q.where)?.[1].toLowerCase() || q.where;
      this.summary.textContent = `${count(this.total)} of ${count(this.kept)} kept executions` +
        `${q.where === "all" ? "" : ` (${label})`}${q.search ? ` matching “${q.search}”` : ""}` +
        ` · the newest ${count(this.limit)} per task are kept while this page is open, ${count(result.stored)} across a reload`;
      return result.rows;
    }).catch((error) => {
      this.loading.delete(number);
      this.failed(error, generation);
      return null;
    });
    this.loading.set(number, request);
    return request;
  }

  /** Arrow keys, Page Up/Down, Home and End on the table: focus another row. From the table
   * itself (Tab lands there), any of them focuses the first row in view. */
  move(event, row) {
    if (!(event.key in MOVES) && event.key !== "Home" && event.key !== "End") return;
    if (event.altKey || event.ctrlKey || event.metaKey || !this.total) return;
    event.preventDefault();
    if (this.loads || this.keys.length || this.replaying) this.keys.push(event.key);
    else this.moveFrom(event.key, row);
  }

  /** Focus the row `key` leads to from `row` (the table itself: the first row in view). */
  moveFrom(key, row) {
    let index;
    if (key === "Home") index = 0;
    else if (key === "End") index = this.total - 1;
    else if (!row) index = Math.ceil(this.viewport.scrollTop / ROW_PX);
    else index = Number(row.getAttribute("aria-rowindex")) - 1 + MOVES[key];
    return this.focusRow(Math.max(0, Math.min(this.total - 1, index)));
  }

  /** The keys pressed during loads, in order, each from the row the last one focused (each
   * one's move done before the next, a page fetched if need be). Keys whose table the focus
   * has left since are dropped: they would pull it back from where the person went. */
  async moveQueued() {
    if (this.replaying) return;
    this.replaying = true;
    try {
      while (this.keys.length && !this.loads) {
        const active = document.activeElement;
        if (!this.viewport.contains(active)) {
          this.keys.length = 0;
          break;
        }
        await this.moveFrom(this.keys.shift(), active.closest(".trace-row[data-seq]"));
      }
    } finally {
      this.replaying = false;
    }
  }

  /** Scroll row `index` into view, draw it (asking for its page if needed) and focus it. */
  async focusRow(index) {
    const top = index * ROW_PX;
    const view = this.viewport;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + ROW_PX > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW_PX - view.clientHeight;
    const generation = this.generation;
    await this.page(Math.floor(index / PAGE));
    if (generation !== this.generation) return;
    this.draw();
    const row = this.pool.find((r) => !r.hidden && r.getAttribute("aria-rowindex") === String(index + 1));
    row?.focus({ preventScroll: true });
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  /** Draw the rows in view from the pages at hand; ask for missing pages and draw again. */
  draw() {
    const first = this.first();
    const wanted = Math.ceil(this.viewport.clientHeight / ROW_PX) + 2 * OVERSCAN || VIEW_ROWS + 2 * OVERSCAN;
    const last = Math.min(this.total, first + wanted);
    if (this.pool.length < wanted) for (const row of this.pool) row.shows = null;
    while (this.pool.length < wanted) {
      const row = h("div", { class: "trace-row", role: "row", tabindex: "-1", hidden: true },
        COLUMNS.map(([key]) => h("div", { role: "cell", class: `c-${key}` })));
      this.pool.push(row);
      this.spacer.append(row);
    }
    let missing = false;
    const size = this.pool.length;
    // Index i always lives in pool slot i % size, so a row that stays in view while scrolling
    // keeps its element and is not written again: only rows coming into view are.
    for (let index = first; index < first + size; index += 1) {
      const row = this.pool[index % size];
      const rows = index < last ? this.pages.get(Math.floor(index / PAGE)) : null;
      const data = rows ? rows[index % PAGE] : null;
      if (!data) {
        if (index < last) missing = true;
        // The focused row stays as it is until its page comes (a reload during a run clears
        // the pages): hidden, it would drop the keyboard's focus to the page.
        if (row.contains(document.activeElement)) continue;
        row.hidden = true;
        row.shows = null;
        continue;
      }
      row.hidden = false;
      if (row.shows === data) continue;
      row.shows = data;
      // A reload during a run brings new objects for mostly the same rows: write what differs.
      const at = `translateY(${index * ROW_PX}px)`;
      if (row.style.transform !== at) row.style.transform = at;
      const marks = { seq: String(data.seq), agreed: data.agreed === false ? "no" : "", failed: data.error ? "yes" : "" };
      for (const [key, value] of Object.entries(marks)) if (row.dataset[key] !== value) row.dataset[key] = value;
      if (row.getAttribute("aria-rowindex") !== String(index + 1)) row.setAttribute("aria-rowindex", String(index + 1));
      COLUMNS.forEach(([, , text], i) => {
        const cell = row.children[i];
        const value = text(data);
        if (cell.textContent !== value) cell.textContent = value;
      });
    }
    if (missing) {
      const pages = new Set();
      for (let index = first; index < last; index += 1) {
        if (!this.pages.has(Math.floor(index / PAGE))) pages.add(Math.floor(index / PAGE));
      }
      Promise.all([...pages].map((p) => this.page(p))).then(() => this.schedule());
    }
  }

  async show(seq) {
    const task = this.task.value;
    const trace = await this.notify.guard(() => this.bridge.trace(task, seq));
    if (!trace) return;
    this.drawDetail(task, seq, trace);
    this.detail.scrollIntoView({ block: "nearest" });
  }

  drawDetail(task, seq, trace) {
    const key = JSON.stringify(trace);
    if (this.open && this.open.task === task && this.open.seq === seq && this.open.key === key) return;
    this.open = { task, seq, key };
    fill(this.detail,
      h("h3", {}, `Execution ${seq} of ${task}`),
      h("dl", { class: "trace-fields" }, DETAIL.map(([key, label]) =>
        h("div", {}, h("dt", {}, label), h("dd", { dataset: { field: key } }, show(key, trace[key]))))),
      h("h4", {}, "Input"),
      h("pre", { class: "trace-json", dataset: { field: "input" } }, JSON.stringify(trace.input, null, 2)),
      h("h4", {}, "Prompt (rendered now with the current context)"),
      h("pre", { class: "trace-json", dataset: { field: "prompt" } }, trace.prompt ?? ""));
  }

  async export(format) {
    const q = this.query();
    if (!q.task) return;
    const result = await this.notify.guard(() => this.bridge.exportTraces(q.task, q.where, q.search, format));
    if (!result) return;
    download(result.filename, result.text, format === "csv" ? "text/csv" : "application/x-ndjson");
    this.notify.say(`Exported ${counted(result.rows, "execution")} as ${format.toUpperCase()}.`);
  }
}
