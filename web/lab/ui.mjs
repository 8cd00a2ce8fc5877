// The lab page: wires the controls to the bridge and renders state after every change.

import { ask } from "../dialog.mjs";
import { fill, h } from "../dom.mjs";
import { useLabReset } from "../reset.mjs";
import { DRAFT, UI_PREFS } from "../storage-keys.mjs";
import { TaskCards } from "./cards.mjs";
import { renderDiagram } from "./diagram.mjs";
import { DslEditor, latestOnly } from "./editor.mjs";
import { bytes, count, STAGE_NAMES } from "./format.mjs";
import { readDataFile, showLimit } from "./upload.mjs";
import { MachinesPanel, confirmReplace } from "./machines.mjs";
import { CodePanel, PatternsPanel, VersionsPanel, download, renderActivity } from "./panels.mjs";
import { PricesPanel } from "./prices.mjs";
import { TracesPanel } from "./traces.mjs";

const $ = (id) => document.getElementById(id);
const UI_KEY = UI_PREFS;
const DRAFT_KEY = DRAFT;
const DRAFT_LIMIT = 1_000_000;
const REFRESH_DURING_RUN_MS = 350;

function loadPrefs() {
  try { return JSON.parse(localStorage.getItem(UI_KEY) || "{}"); } catch { return {}; }
}
function savePrefs(prefs) {
  try { localStorage.setItem(UI_KEY, JSON.stringify(prefs)); } catch { /* private mode */ }
}

class Notifier {
  constructor() { this.timer = null; }

  say(message, kind = "info") {
    const toast = $("toast");
    toast.textContent = message;
    toast.dataset.kind = kind;
    toast.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { toast.hidden = true; }, kind === "error" ? 9000 : 4000);
  }

  /** Run `work`; show its error instead of throwing. Resolves to its value or null. */
  async guard(work) {
    try {
      return await work();
    } catch (error) {
      this.say(error.message || String(error), "error");
      return null;
    }
  }
}

export async function mountUI(bridge) {
  const notify = new Notifier();
  const prefs = loadPrefs();
  let state = null;
  let loadedDsl = null;
  let lastRefresh = 0;
  let refreshing = null;
  let firstRender = true;

  const editor = new DslEditor($("editor"), $("dsl-errors"), {
    onChange: (text) => { scheduleCheck(text); saveDraft(text); },
    onSubmit: () => applyDsl(),
  });
  let checkTimer = null;
  const checkLatest = latestOnly((text) => bridge.check(text));
  function scheduleCheck(text) {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(async () => {
      const result = await checkLatest(text).catch((e) => ({ ok: false, errors: [{ line: 0, column: 0, message: e.message }] }));
      if (editor.value !== text) return;
      editor.setErrors(result.errors, result);
      const dirty = state && state.loaded && text !== loadedDsl;
      $("dsl-status").textContent = result.ok
        ? `No problems${dirty ? " · edited: press Load machine to use it" : ""}`
        : `${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}`;
    }, 250);
  }
  // Unsaved edits survive a reload: {dsl, base} where base is the loaded text they started from.
  // Up to DRAFT_LIMIT characters: localStorage holds a few MB, and saving a 7 MB paste would
  // block the page for a third of a second, then fail anyway.
  function saveDraft(text) {
    try {
      if (text.length > DRAFT_LIMIT) localStorage.removeItem(DRAFT_KEY);
      else localStorage.setItem(DRAFT_KEY, JSON.stringify({ dsl: text, base: loadedDsl }));
    } catch { /* ignore */ }
  }
  function loadDraft() {
    try { return JSON.parse(localStorage.getItem(DRAFT_KEY) || "null"); } catch { return null; }
  }

  async function applyDsl() {
    const text = editor.value;
    const result = await checkLatest(text);
    editor.setErrors(result.errors, result);
    if (!result.ok) { notify.say(`The machine has ${result.errors.length} problem(s); see the list under the editor.`, "error"); return; }
    if (state?.loaded && !(await notify.guard(() => confirmReplace(bridge, text, "Loading this machine")))) return;
    const loaded = await notify.guard(() => bridge.load(text));
    if (loaded) notify.say(loaded.dataset.count ? `Loaded ${loaded.machine.title}; it starts from the first record.` : `Loaded ${loaded.machine.title}; now load a data set.`);
  }
  $("apply-dsl").addEventListener("click", () => applyDsl());

  // --- examples -------------------------------------------------------------------------
  const examples = await bridge.examples().catch(() => []);
  const exampleSelect = $("example-select");
  exampleSelect.replaceChildren(...examples.map((e) => new Option(e.title || e.name, e.name)));
  const describeExample = () => {
    const e = examples.find((x) => x.name === exampleSelect.value);
    $("example-description").textContent = e ? `${e.description} (${count(e.records)} records)` : "";
  };
  exampleSelect.addEventListener("change", async () => {
    describeExample();
    if (!state?.loaded) {
      const e = examples.find((x) => x.name === exampleSelect.value);
      if (e) editor.value = await bridge.fetchText(e.machine);
    }
  });
  $("load-example").addEventListener("click", async () => {
    const name = exampleSelect.value;
    const example = examples.find((x) => x.name === name);
    if (state?.loaded && example) {
      const go = await notify.guard(async () => confirmReplace(bridge, await bridge.fetchText(example.machine), `Loading the example ${name}`));
      if (!go) return;
    }
    const loaded = await notify.guard(() => bridge.loadExample(name));
    if (loaded) notify.say(`Loaded example ${name}: ${count(loaded.dataset.count)} records. Press Run.`);
  });

  // --- data -----------------------------------------------------------------------------
  showLimit($("data-file"));
  $("data-file").addEventListener("change", async () => {
    const file = $("data-file").files[0];
    if (!file) return;
    const text = await notify.guard(() => readDataFile(file, $("data-file")));
    if (text === null) { $("data-file").value = ""; return; }
    if (state?.loaded && !(await notify.guard(() => confirmReplace(bridge, state.dsl, `Loading ${file.name}`)))) { $("data-file").value = ""; return; }
    const loaded = await notify.guard(() => bridge.loadData(text, file.name));
    if (loaded) notify.say(`Loaded ${count(loaded.dataset.count)} records from ${file.name}; the machine starts again.`);
    $("data-file").value = "";
  });

  // --- LLM ------------------------------------------------------------------------------
  const form = $("llm-form");
  const showProvider = () => {
    const provider = $("llm-provider").value;
    form.querySelector('[data-provider="simulated"]').hidden = provider !== "simulated";
    form.querySelector('[data-provider="http"]').hidden = provider === "simulated";
    $("llm-base-url").placeholder = provider === "anthropic" ? "https://api.anthropic.com" : "http://localhost:11434/v1";
    $("llm-model").placeholder = provider === "anthropic" ? "claude-haiku-4-5" : "llama3.2";
  };
  $("llm-provider").addEventListener("change", showProvider);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const config = { provider: data.get("provider"), remember: $("llm-remember").checked,
      concurrency: Number(data.get("concurrency")) || 1 };
    if (config.provider === "simulated") {
      for (const k of ["accuracy", "latency_ms", "price_in", "price_out"]) config[k] = Number(data.get(k));
      config.wait = $("llm-wait").checked;
    } else {
      for (const k of ["base_url", "model", "api_key"]) if (data.get(k)) config[k] = String(data.get(k)).trim();
    }
    const result = await notify.guard(() => bridge.setLLM(config));
    if (result) {
      $("llm-key").value = "";
      notify.say(result.ready ? `LLM settings in use${result.note ? ` (${result.note})` : ""}.` : result.error,
        result.ready ? "info" : "error");
    }
  });
  function renderLLM(llm, error, note) {
    if (!llm) return;
    // The fields follow the state unless the user is editing them; the status line always does.
    if (!(document.activeElement && form.contains(document.activeElement))) {
      $("llm-provider").value = llm.provider;
      $("llm-accuracy").value = llm.accuracy;
      $("llm-latency").value = llm.latency_ms;
      $("llm-price-in").value = llm.price_in;
      $("llm-price-out").value = llm.price_out;
      $("llm-base-url").value = llm.base_url || "";
      $("llm-model").value = llm.model || "";
      $("llm-remember").checked = !!llm.remember;
      $("llm-wait").checked = !!llm.wait;
      $("llm-concurrency").value = llm.concurrency || 1;
      showProvider();
    }
    // The status line always says where requests (and the key) go.
    const who = llm.provider === "simulated"
      ? `Simulated: ${Math.round(llm.accuracy * 100)}% accurate, ~${llm.latency_ms} ms, $${llm.price_in}/$${llm.price_out} per Mtok`
      : `${llm.provider === "anthropic" ? "Anthropic" : "OpenAI-compatible"} ${llm.model || ""} at ${llm.endpoint_url || "(no URL)"}` +
        `${llm.has_key ? " · key set" : " · no key"}${llm.has_key && llm.remember ? " (remembered)" : ""}`;
    const extra = [error, note].filter(Boolean).join("; ");
    $("llm-status").textContent = extra ? `${who} — ${extra}` : who;
    $("llm-status").classList.toggle("bad", !!error);
  }

  // --- running --------------------------------------------------------------------------
  $("run-count").value = prefs.runCount || 300;
  $("until-stage").value = prefs.untilStage || "hybrid";
  const rememberRun = () => savePrefs({ ...loadPrefs(), runCount: Number($("run-count").value) || 300, untilStage: $("until-stage").value });
  $("run-count").addEventListener("change", rememberRun);
  $("until-stage").addEventListener("change", rememberRun);

  const actions = {
    step: () => notify.guard(() => bridge.step(1)),
    run: () => notify.guard(() => bridge.run(Number($("run-count").value) || 300)),
    until: () => notify.guard(() => bridge.runUntil($("until-stage").value)),
    pause: () => bridge.pause(),
  };
  $("step-btn").addEventListener("click", actions.step);
  $("run-btn").addEventListener("click", actions.run);
  $("until-btn").addEventListener("click", actions.until);
  $("pause-btn").addEventListener("click", actions.pause);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.composedPath()[0]; // inside the editor's shadow root, not its host
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) return;
    if (document.getElementById("app-dialog")?.open) return; // a question is open: keys are its own
    const action = { s: "step", r: "run", u: "until", p: "pause" }[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    if (action !== "pause" && bridge.isRunning) return;
    actions[action]();
  });

  const runButtons = ["step-btn", "run-btn", "until-btn"];
  bridge.addEventListener("run", (event) => {
    const d = event.detail;
    const bar = document.querySelector(".run-progress");
    if (d.phase === "start") {
      runButtons.forEach((id) => { $(id).disabled = true; });
      $("pause-btn").disabled = false;
      $("run-status").textContent = d.until ? `Running until a task reaches ${STAGE_NAMES[d.until]}…` : `Running ${count(d.total)} steps…`;
    }
    if (d.phase === "waiting") {
      runButtons.forEach((id) => { $(id).disabled = true; });
      $("pause-btn").disabled = false;
      $("run-status").textContent = "Waiting for the run in another tab to finish…";
    }
    if (d.phase === "pausing") {
      $("pause-btn").disabled = true;
      $("run-status").textContent = "Pausing after the current step…";
    }
    if (d.phase === "progress") {
      const fraction = d.until ? Math.min(1, d.steps / Math.max(d.steps + 1, 3000)) : d.steps / d.total;
      bar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
      $("run-fill").style.width = `${fraction * 100}%`;
      $("run-rate").textContent = `${count(d.steps)} steps · ${count(Math.round(d.rate))} steps/s`;
      if (performance.now() - lastRefresh > REFRESH_DURING_RUN_MS) refresh();
    }
    if (d.phase === "end") {
      runButtons.forEach((id) => { $(id).disabled = false; });
      $("pause-btn").disabled = true;
      bar.setAttribute("aria-valuenow", "100");
      $("run-fill").style.width = "100%";
      $("run-rate").textContent = `${count(d.steps)} steps · ${count(Math.round(d.steps_per_s))} steps/s`;
      const why = { done: "Done", paused: "Paused", halted: "The data set is used up", reached: "Stage reached", error: "Stopped", no_llm: "No LLM" }[d.reason] || d.reason;
      const cut = d.interrupted_node ? ` The step at ${d.interrupted_node} was waiting for the LLM; it was stopped and runs again on the next Run.` : "";
      $("run-status").textContent = `${why} after ${count(d.steps)} steps${d.error ? `: ${d.error}` : ""}.${cut}`;
    }
  });

  // --- header: storage, export, import, reset ---------------------------------------------
  $("topbar-tools").hidden = false;
  $("export-all").addEventListener("click", async () => {
    const text = await notify.guard(() => bridge.exportState());
    if (!text) return;
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
    download(`evomachine-state-${stamp}.json`, text, "application/json");
    notify.say(`Exported ${bytes(text.length)} of state (API keys are never included).`);
  });
  $("import-file").addEventListener("change", async () => {
    const file = $("import-file").files[0];
    $("import-file").value = "";
    if (!file) return;
    const text = await file.text();
    // Checked whole first: a file that would be refused changes nothing and says why.
    const summary = await notify.guard(() => bridge.inspectImport(text));
    if (!summary) return;
    const llm = await chooseImportedLLM(summary);
    if (llm === null) { notify.say(`Import of ${file.name} cancelled; nothing was changed.`); return; }
    const imported = await notify.guard(() => bridge.importState(text, { llm }));
    if (imported) notify.say(`Imported ${file.name}.`);
  });

  /** The file's LLM endpoint is not the one in use: ask, showing both URLs. null = cancel. */
  async function chooseImportedLLM(summary) {
    if (summary.same_endpoint || !summary.llm) return "keep";
    const where = (llm) => (llm.provider === "simulated" ? "the simulated LLM (no requests leave this page)"
      : `${llm.provider === "anthropic" ? "Anthropic" : "OpenAI-compatible"} at ${llm.endpoint_url || "(no URL)"}`);
    const theirs = summary.llm;
    const choices = [{ value: "keep", label: "Keep my LLM settings", kind: "primary", id: "import-keep" }];
    if (theirs.provider === "simulated") {
      choices.push({ value: "file", label: "Use the simulated LLM from the file", id: "import-file-llm" });
    } else {
      choices.push({ value: "file", label: `Use ${theirs.endpoint_url} without my API key`, id: "import-file-llm" });
      if (summary.key_held) {
        choices.push({ value: "file_with_key", label: `Send my API key to ${theirs.endpoint_url}`, kind: "danger", id: "import-file-llm-key" });
      }
    }
    choices.push({ value: null, label: "Cancel import", id: "import-cancel" });
    return ask({
      title: "This file points the LLM somewhere else",
      lines: [
        `The file's settings send requests to: ${where(theirs)}${theirs.model ? `, model ${theirs.model}` : ""}.`,
        `Your settings send them to: ${where(summary.current_llm)}.`,
        "A file never receives your API key unless you choose to send it there.",
      ],
      choices,
      cancelValue: null,
    });
  }

  // Reset is wired by the page (web/reset.mjs) so it works even when boot fails; with the lab up
  // it clears storage through the engine and the page carries on.
  useLabReset(async () => {
    await bridge.reset();
    loadedDsl = null;
    const e = examples.find((x) => x.name === exampleSelect.value);
    editor.value = e ? await bridge.fetchText(e.machine).catch(() => "") : "";
    notify.say("Everything was reset.");
  });
  async function renderStorage() {
    const info = await bridge.storage().catch(() => null);
    if (!info) return;
    const names = { indexeddb: "IndexedDB", localstorage: "localStorage", memory: "memory only", sqlite: "SQLite" };
    const el = $("storage-indicator");
    el.textContent = `${names[info.backend] || info.backend} · ${bytes(info.bytes)}`;
    el.title = `${info.chosen_because || ""}; ${count(info.entries)} entries`;
    el.dataset.backend = info.backend;
  }

  // --- panels -----------------------------------------------------------------------------
  const codePanel = new CodePanel(bridge, notify);
  $("code-task").addEventListener("change", () => savePrefs({ ...loadPrefs(), codeTask: $("code-task").value }));
  const cards = new TaskCards($("tasks"), {
    showCode: async (task) => { await codePanel.show(task); savePrefs({ ...loadPrefs(), codeTask: task }); $("code-title").scrollIntoView({ behavior: "smooth" }); },
    evolve: async (task) => {
      const result = await notify.guard(() => bridge.evolve(task));
      if (result) notify.say(`${task} is now ${STAGE_NAMES[result.stage]}.`);
    },
  });
  const versions = new VersionsPanel(bridge, notify);
  const machines = new MachinesPanel(bridge, notify);
  const patterns = new PatternsPanel(bridge, notify);
  const traces = new TracesPanel(bridge, notify, document.querySelector(".code-panel"));
  const prices = new PricesPanel(bridge, notify, document.querySelector(".llm-panel"));

  async function render(next) {
    state = next;
    document.body.dataset.loaded = state.loaded ? "true" : "false";
    if (state.loaded && state.dsl !== loadedDsl) {
      loadedDsl = state.dsl;
      // Unsaved edits come back only on the first render after boot; loading anything replaces them.
      const draft = firstRender ? loadDraft() : null;
      if (!firstRender) { try { localStorage.removeItem(DRAFT_KEY); } catch { /* ignore */ } }
      if (draft && draft.base === state.dsl && draft.dsl !== state.dsl) {
        editor.value = draft.dsl;
        scheduleCheck(draft.dsl);
      } else {
        editor.value = state.dsl;
        $("dsl-status").textContent = "No problems";
      }
      if (state.example) { exampleSelect.value = state.example; describeExample(); }
    }
    renderLLM(state.llm, state.llm_error, state.llm_note);
    renderProblems(state.problems || []);
    $("data-info").textContent = state.dataset.count
      ? `${state.dataset.name || "data"}: ${count(state.dataset.count)} records (${state.dataset.fields.join(", ")}) · ${count(state.input_cursor || 0)} read`
      : "No data loaded.";
    $("diagram").replaceChildren(renderDiagram(state.machine, { current: state.current_node, stages: state.stages }));
    $("diagram").setAttribute("aria-label", state.loaded
      ? `Diagram of ${state.machine.title}: ${state.machine.nodes.length} nodes; current node ${state.current_node || "none (halted)"}` : "No machine loaded");
    if (!state.loaded) {
      fill($("tasks"), h("div", { class: "panel empty" }, h("h2", {}, "Start here"),
        h("p", {}, "Pick an example above and press ", h("strong", {}, "Load example"),
          ", or write a machine in the editor and press ", h("strong", {}, "Load machine"),
          ". Then press ", h("strong", {}, "Run"), " and watch its tasks move from the LLM to generated code.")));
      cards.clear();
    } else {
      cards.render(state);
    }
    $("run-position").textContent = !state.loaded ? "No machine loaded."
      : state.halted ? `Halted after ${count(state.step_count)} steps: the data set is used up.`
        : `${count(state.step_count)} steps so far · next node: ${state.current_node}`;
    firstRender = false;
    versions.render(state);
    traces.render(state);
    prices.render(state);
    renderActivity(state);
    if (!bridge.isRunning) {
      if (prefs.codeTask && state.tasks[prefs.codeTask]) { $("code-task").value = prefs.codeTask; }
      await codePanel.render(state);
      patterns.render(state);
      machines.render();
      renderStorage();
    }
  }

  /** Stored documents the engine could not use: name them and offer to drop just those. */
  function renderProblems(problems) {
    const box = $("problems");
    const key = JSON.stringify(problems);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.hidden = !problems.length;
    if (!problems.length) { box.replaceChildren(); return; }
    const fixes = new Set(problems.map((p) => p.fix));
    const consequence = fixes.has("session") ? "No machine will be loaded afterwards."
      : fixes.has("run") ? "The machine will start again from its first step (its saved versions stay, so you can roll back to one)."
        : "The machine stays loaded without records; load a data set again.";
    fill(box,
      h("h2", {}, "Some saved documents could not be used"),
      h("ul", {}, problems.map((p) => h("li", {}, h("code", {}, p.document), `: ${p.problem}`))),
      h("p", {}, `Dropping them deletes only the documents named above. ${consequence} ` +
        "Everything else (versions, patterns) is kept. Reset, top right, deletes everything instead."),
      h("button", { type: "button", id: "drop-damaged", class: "danger", on: { click: async () => {
        const repaired = await notify.guard(() => bridge.repair());
        if (repaired) notify.say(repaired.problems.length ? "Some documents are still damaged." : "The damaged documents were dropped.");
      } } }, `Drop ${problems.length === 1 ? "this document" : "these documents"}`));
  }

  async function refresh() {
    lastRefresh = performance.now();
    if (refreshing) return refreshing;
    refreshing = bridge.state().then(render).catch((e) => console.error(e)).finally(() => { refreshing = null; });
    return refreshing;
  }

  bridge.addEventListener("change", () => refresh());

  describeExample();
  await refresh();
  if (!state.loaded) {
    const e = examples.find((x) => x.name === exampleSelect.value);
    const draft = loadDraft();
    if (draft && draft.dsl) { editor.value = draft.dsl; scheduleCheck(draft.dsl); }
    else if (e) editor.value = await bridge.fetchText(e.machine).catch(() => "");
  }
  $("boot").hidden = true;
  $("lab").hidden = false;
  if (!state.loaded) {
    // A first visit boots without pydantic and jinja2; load them while the user reads the page.
    const warm = () => bridge.call("warm").catch((e) => console.warn("warm-up failed", e));
    if (window.requestIdleCallback) requestIdleCallback(warm, { timeout: 1500 }); else setTimeout(warm, 300);
  }
  return { refresh };
}
