// The header's tools (Download report, Export, Import with its question about the file's LLM,
// the storage indicator; Reset is wired by web/reset.mjs at boot) and the box naming damaged
// stored documents.

import { ask } from "../dialog.mjs";
import { fill, h } from "../dom.mjs";
import { bytes, count, steps } from "./format.mjs";
import { download } from "./panels.mjs";
import { MAX_IMPORT_BYTES, readDataFile } from "./upload.mjs";

const $ = (id) => document.getElementById(id);
const BACKENDS = { indexeddb: "IndexedDB", localstorage: "localStorage", memory: "memory only", sqlite: "SQLite" };

export class HeaderTools {
  constructor({ bridge, notify }) {
    this.bridge = bridge;
    this.notify = notify;
    $("topbar-tools").hidden = false;
    $("export-all").addEventListener("click", () => this.exportAll());
    $("report-download").addEventListener("click", () => this.downloadReport());
    $("import-file").addEventListener("change", () => this.importFile());
  }

  async exportAll() {
    const text = await this.notify.guard(() => this.bridge.exportState());
    if (!text) return;
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
    download(`evomachine-state-${stamp}.json`, text, "application/json");
    this.notify.say(`Exported ${bytes(text.length)} of state (API keys are never included).`);
  }

  async downloadReport() {
    const report = await this.notify.guard(() => this.bridge.report());
    if (!report) return;
    download(report.filename, report.text, "text/html");
    this.notify.say(`Downloaded ${report.filename} (${bytes(report.text.length)}); it opens offline.`);
  }

  async importFile() {
    const input = $("import-file");
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    // From the file's choice to its last write, the import is the one change under way: a Run,
    // a load or another import asked meanwhile is refused, saying so (it would overwrite or be
    // overwritten without the question either one asks).
    await this.notify.guard(() => this.bridge.during(`The import of ${file.name}`, (token) => this.importing(file, token)));
  }

  async importing(file, token) {
    // Read under a limit, with a progress bar: a huge file picked by mistake is refused by its
    // size before a byte is read, instead of filling the tab's memory.
    const text = await this.notify.guard(() => readDataFile(file, $("import-label"), { limit: MAX_IMPORT_BYTES, kind: "exports to import" }));
    if (text === null) return;
    this.notify.say(`Checking ${file.name}…`);
    // Checked whole first: a file that would be refused changes nothing and says why.
    const summary = await this.notify.guard(() => this.bridge.inspectImport(text));
    if (!summary) return;
    const llm = await chooseImportedLLM(summary, replacingLines(summary));
    if (llm === null) { this.notify.say(`Import of ${file.name} cancelled; nothing was changed.`); return; }
    const ran = this.bridge.isRunning; // an import pauses the run first
    this.notify.say(`Importing ${file.name}…`);
    const imported = await this.notify.guard(() => this.bridge.importState(text, { llm, token }));
    if (imported) this.notify.say(`Imported ${file.name}${ran ? "; the run was paused for it" : ""}.`);
  }

  async renderStorage() {
    const info = await this.bridge.storage().catch(() => null);
    if (!info) return;
    const el = $("storage-indicator");
    el.textContent = `${BACKENDS[info.backend] || info.backend} · ${bytes(info.bytes)}`;
    el.title = `${info.chosen_because || ""}; ${count(info.entries)} entries`;
    el.dataset.backend = info.backend;
  }
}

/** What an import does to the stored machines, as dialog lines ([] when it replaces none). */
function replacingLines(summary) {
  const replaces = summary.replaces || [];
  if (!replaces.length) return [];
  const runs = replaces.map((r) => (r.step_count
    ? `“${r.title}” (its run of ${steps(r.step_count)}, learnt code and charts)`
    : `“${r.title}” (not run yet)`));
  const kept = summary.kept || 0;
  return [
    `The file replaces the stored machine${replaces.length === 1 ? "" : "s"} ${runs.join(", ")} with the file's.`,
    kept ? `Your other ${kept === 1 ? "machine stays" : `${count(kept)} machines stay`} as ${kept === 1 ? "it is" : "they are"}.`
      : "No other machine is stored.",
  ];
}

/**
 * Ask before an import: where its LLM goes (when that differs, showing both URLs) and which
 * stored machines it replaces. Resolves "keep", "file", "file_with_key", or null = cancel.
 */
async function chooseImportedLLM(summary, replacing) {
  if (summary.same_endpoint || !summary.llm) {
    if (!replacing.length) return "keep";
    return ask({
      title: "Replace a stored machine with the file's?",
      lines: replacing,
      choices: [
        { value: null, label: "Cancel import", id: "import-cancel" },
        { value: "keep", label: "Import and replace", kind: "danger", id: "import-confirm" },
      ],
      cancelValue: null,
    });
  }
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
      ...replacing,
    ],
    choices,
    cancelValue: null,
  });
}

/** Stored documents the engine could not use: name them and offer to drop just those. */
export class ProblemsBox {
  constructor({ bridge, notify }) {
    this.bridge = bridge;
    this.notify = notify;
  }

  render(state) {
    const problems = state.problems || [];
    const box = $("problems");
    const key = JSON.stringify(problems);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const hadFocus = box.contains(document.activeElement);
    box.hidden = !problems.length;
    if (!problems.length) {
      box.replaceChildren();
      // The banner went with the button pressed (Drop): the keyboard's place goes to the
      // Machine panel, where what to do next is (load a machine, a data set), not the page top.
      if (hadFocus) $("machine-title").focus();
      return;
    }
    const fixes = new Set(problems.map((p) => p.fix));
    const consequence = fixes.has("session") ? "No machine will be loaded afterwards."
      : fixes.has("run") ? "The machine will start again from its first step (its saved versions stay, so you can roll back to one)."
        : "The machine stays loaded without records; load a data set again.";
    fill(box,
      h("h2", {}, "Some saved documents could not be used"),
      h("ul", {}, problems.map((p) => h("li", {}, h("code", {}, p.document), `: ${p.problem}`))),
      h("p", {}, `Dropping them deletes only the documents named above. ${consequence} ` +
        "Everything else (versions, patterns) is kept. Reset, top right, deletes everything instead."),
      h("button", { type: "button", id: "drop-damaged", class: "danger", on: { click: () => this.repair() } },
        `Drop ${problems.length === 1 ? "this document" : "these documents"}`));
    if (hadFocus) $("drop-damaged").focus(); // some are still damaged: the new button has it
  }

  async repair() {
    const repaired = await this.notify.guard(() => this.bridge.repair());
    if (repaired) this.notify.say(repaired.problems.length ? "Some documents are still damaged." : "The damaged documents were dropped.");
  }
}
