// The Machine panel: the DSL editor (checked as you type, drafts kept across reloads), Load
// machine, the examples, and the data file (read with a progress bar, its bytes decoded by the
// engine as the CLI decodes them, a notice when it was not UTF-8).

import { DRAFT } from "../storage-keys.mjs";
import { fill, h } from "../dom.mjs";
import { DslEditor, latestOnly } from "./editor.mjs";
import { count, records } from "./format.mjs";
import { confirmReplace } from "./machines.mjs";
import { readFileBytes, showLimit, uploadProgress } from "./upload.mjs";

const $ = (id) => document.getElementById(id);
const DRAFT_LIMIT = 1_000_000;

export class MachinePanel {
  /** `page` is {bridge, notify, state()}: state() is the state the page shows now. */
  constructor(page) {
    this.page = page;
    this.bridge = page.bridge;
    this.notify = page.notify;
    this.loadedDsl = null;
    this.placed = "";     // the text the panel last put in the editor (an example's, the loaded one)
    this.submitted = null; // the text the person last loaded from the editor
    this.examples = [];
    this.checkTimer = null;
    this.checkLatest = latestOnly((text) => this.bridge.check(text));
    this.editor = new DslEditor($("editor"), $("dsl-errors"), {
      onChange: (text) => { this.scheduleCheck(text); this.saveDraft(text); },
      onSubmit: () => this.applyDsl(),
    });
    $("apply-dsl").addEventListener("click", () => this.applyDsl());
    $("example-select").addEventListener("change", () => this.exampleChanged());
    $("load-example").addEventListener("click", () => this.loadExample());
    showLimit($("data-file"));
    $("data-file").addEventListener("change", () => this.loadDataFile());
  }

  async init() {
    this.examples = await this.bridge.examples().catch(() => []);
    $("example-select").replaceChildren(...this.examples.map((e) => new Option(e.title || e.name, e.name)));
    this.describeExample();
  }

  get loaded() { return !!this.page.state()?.loaded; }

  example(name = $("example-select").value) {
    return this.examples.find((x) => x.name === name);
  }

  // --- the editor -------------------------------------------------------------------

  scheduleCheck(text) {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(async () => {
      const result = await this.checkLatest(text).catch((e) => ({ ok: false, errors: [{ line: 0, column: 0, message: e.message }] }));
      if (this.editor.value !== text) return;
      this.editor.setErrors(result.errors, result);
      const dirty = this.loaded && text !== this.loadedDsl;
      if (result.ok && this.problemsSaid) this.notify.withdraw(this.problemsSaid); // fixed since
      $("dsl-status").textContent = result.ok
        ? `No problems${warnings(result) ? ` · ${warnings(result)}` : ""}${dirty ? " · edited: press Load machine to use it" : ""}`
        : `${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}`;
    }, 250);
  }

  /** Whether the editor holds text the person typed that is not the machine loaded. */
  hasEdits() {
    return this.loaded && this.typed() && this.editor.value !== this.loadedDsl;
  }

  /** Whether the editor holds text the person typed (not the text the panel put there). */
  typed() {
    const text = this.editor.value;
    return Boolean(text.trim()) && text !== this.placed;
  }

  // Unsaved edits survive a reload: {dsl, base} where base is the loaded text they started from.
  // Up to DRAFT_LIMIT characters: localStorage holds a few MB, and saving a 7 MB paste would
  // block the page for a third of a second, then fail anyway.
  saveDraft(text) {
    try {
      if (text.length > DRAFT_LIMIT) localStorage.removeItem(DRAFT);
      else localStorage.setItem(DRAFT, JSON.stringify({ dsl: text, base: this.loadedDsl }));
    } catch { /* ignore */ }
  }

  loadDraft() {
    try { return JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch { return null; }
  }

  /** Put `text` in the editor as the panel's own (not the person's edits); what the status
   * said of the text before (its problems, 'edited') goes with it. Over the person's edits it
   * is an edit Ctrl+Z undoes, so a load never takes away text that was typed. */
  place(text) {
    const edited = this.typed();
    this.placed = text;
    if (edited) this.editor.replace(text);
    else this.editor.value = text;
    $("dsl-status").textContent = "";
  }

  async applyDsl() {
    const text = this.editor.value;
    const result = await this.checkLatest(text);
    this.editor.setErrors(result.errors, result);
    if (!result.ok) {
      const n = result.errors.length;
      this.problemsSaid = `The machine has ${count(n)} problem${n === 1 ? "" : "s"}; see the list under the editor.`;
      this.notify.say(this.problemsSaid, "error");
      return;
    }
    if (this.loaded && !(await this.notify.guard(() => confirmReplace(this.bridge, text, "Loading this machine")))) return;
    this.submitted = text;
    const loaded = await this.notify.guard(() => this.bridge.load(text));
    if (!loaded) { this.submitted = null; return; }
    const warned = warnings(result) ? ` ${warnings(result)}: see the list under the editor.` : "";
    const data = loaded.dataset;
    this.notify.say((data.count ? `Loaded ${loaded.machine.title}; it starts from the first record.`
      : `Loaded ${loaded.machine.title}; now load ${data.source ? `its data set, ${data.source}` : "a data set"}.`) + warned,
    warned || !data.count ? "warning" : "info");
  }

  // --- examples ---------------------------------------------------------------------

  describeExample() {
    const e = this.example();
    $("example-description").textContent = e ? `${e.description} (${records(e.records)})` : "";
  }

  /** Nothing loaded: show the picked example's text, unless the editor holds the person's edits
   * (picking an example to read its description must not throw away a machine being written). */
  async exampleChanged() {
    this.describeExample();
    const e = this.example();
    if (this.loaded || !e) return;
    if (this.typed()) {
      this.notify.say(`Your edits stay in the editor; Load example loads ${e.title || e.name} instead.`);
      return;
    }
    const changes = this.bridge.machineChanges;
    let text;
    try {
      text = await this.bridge.fetchText(e.machine);
    } catch (error) {
      this.notify.say(`Could not show the example ${e.title || e.name}: ${error.message || error}.`, "error");
      return;
    }
    // Meanwhile a load may have filled the editor, or the person typed: leave it then.
    if (this.editor.value === this.placed || !this.editor.value.trim()) this.placeUnlessLoaded(text, changes);
  }

  async loadExample() {
    const name = $("example-select").value;
    const e = this.example(name);
    if (this.loaded && e) {
      const go = await this.notify.guard(async () => confirmReplace(this.bridge, await this.bridge.fetchText(e.machine), `Loading the example ${name}`));
      if (!go) return;
    }
    const loaded = await this.notify.guard(() => this.bridge.loadExample(name));
    if (loaded) this.notify.say(`Loaded example ${name}: ${records(loaded.dataset.count)}. Press Run.`);
  }

  // --- data ---------------------------------------------------------------------------

  async loadDataFile() {
    const input = $("data-file");
    const file = input.files[0];
    if (!file) return;
    const progress = uploadProgress(input, `Reading ${file.name}`);
    let raw = null;
    try {
      raw = await this.notify.guard(() => readFileBytes(file, { onProgress: progress.update }));
    } finally {
      progress.remove();
      input.value = "";
    }
    if (raw === null) return;
    // A file that cannot be read is refused before anything is asked: nothing would start again.
    if (!(await this.notify.guard(() => this.bridge.checkDataFile(raw, file.name)))) return;
    const state = this.page.state();
    if (state?.loaded && !(await this.notify.guard(() => confirmReplace(this.bridge, state.dsl, `Loading ${file.name}`)))) return;
    const loaded = await this.notify.guard(() => this.bridge.loadDataFile(raw, file.name));
    if (!loaded) return;
    const { notice, missing = [] } = loaded.dataset;
    const notes = [...(notice ? [notice] : []), ...missing];
    this.notify.say(`Loaded ${records(loaded.dataset.count)} from ${file.name}; the machine starts again.` +
      `${notes.length ? ` Note: ${notes.join("; ")}.` : ""}`, notes.length ? "warning" : "info");
  }

  // --- rendering ----------------------------------------------------------------------

  /** The editor follows the loaded machine; `first` is the first render after boot. */
  render(state, first) {
    if (state.loaded && state.dsl !== this.loadedDsl) {
      this.loadedDsl = state.dsl;
      // Unsaved edits come back only on the first render after boot; loading anything replaces them.
      const draft = first ? this.loadDraft() : null;
      if (!first) { try { localStorage.removeItem(DRAFT); } catch { /* ignore */ } }
      if (draft && draft.base === state.dsl && draft.dsl !== state.dsl) {
        this.editor.value = draft.dsl;
        this.scheduleCheck(draft.dsl);
      } else if (this.editor.value === state.dsl || state.dsl === this.submitted) {
        // The person's own text was loaded (Load machine, Ctrl+Enter): the editor keeps its
        // caret, scroll and undo history, and whatever was typed while it loaded.
        this.placed = state.dsl;
        if (this.editor.value === state.dsl) $("dsl-status").textContent = "No problems";
        else this.scheduleCheck(this.editor.value);
      } else {
        this.place(state.dsl);
        $("dsl-status").textContent = "No problems";
      }
      this.submitted = null;
      if (state.example) { $("example-select").value = state.example; this.describeExample(); }
    }
    if (!state.loaded) this.loadedDsl = null;
    const d = state.dataset;
    const missing = d.missing || [];
    const key = JSON.stringify([d.name, d.count, d.fields, d.encoding, d.notice, d.source, missing, state.input_cursor]);
    if ($("data-info").dataset.key === key) return; // a run refreshes often: redraw what changed
    $("data-info").dataset.key = key;
    fill($("data-info"), d.count
      ? `${d.name || "data"}: ${records(d.count)} (${d.fields.join(", ")}) · ${count(state.input_cursor || 0)} read`
      : d.source && state.loaded ? `No data loaded: this machine reads ${d.source}; choose it under “Data set”.` : "No data loaded.",
    d.count && d.notice ? h("strong", { class: "data-notice" }, ` Read as ${d.encoding}: ${d.notice}.`) : null,
    // A prompt's missing field renders empty: say so before a run pays for prompts with holes.
    d.count && missing.length ? h("strong", { class: "data-notice data-missing" }, ` ${missing.join("; ")}.`) : null);
  }

  /** Nothing loaded after boot: the draft, else the selected example's text, in the editor. */
  async showStart() {
    const draft = this.loadDraft();
    const e = this.example();
    if (draft && draft.dsl) { this.editor.value = draft.dsl; this.scheduleCheck(draft.dsl); }
    else if (e) {
      const changes = this.bridge.machineChanges;
      this.placeUnlessLoaded(await this.bridge.fetchText(e.machine).catch(() => ""), changes);
    }
  }

  /** After Reset: the selected example's text, nothing remembered as loaded. */
  async reset() {
    this.loadedDsl = null;
    const e = this.example();
    const changes = this.bridge.machineChanges;
    this.placeUnlessLoaded(e ? await this.bridge.fetchText(e.machine).catch(() => "") : "", changes);
  }

  /** An example's text fetched while nothing was loaded: a load asked for meanwhile (drawn
   * or still on its way; `changes` is the bridge's machineChanges when the fetch began)
   * keeps the editor for the machine it loads. */
  placeUnlessLoaded(text, changes) {
    if (!this.loaded && this.bridge.machineChanges === changes) this.place(text);
  }
}

/** "1 warning" for a check result with warnings (attributes that do nothing), else "". */
function warnings(result) {
  const n = result.warnings?.length || 0;
  return n ? `${n} warning${n === 1 ? "" : "s"}` : "";
}
