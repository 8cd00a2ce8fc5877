// The automation API (window.evomachine) over the Python Lab. Every call returns a promise.
// Python runs in the engine Worker (engine.mjs, engine-worker.mjs) and is called through one
// door, Lab.call(method, argsJson) -> {ok, value | error}, as messages, so no proxy crosses.
// Runs are chunked (run-loop.mjs): run_chunk does a few steps or ~30 ms, and the loop asks for
// the next one. pause() stops the loop between chunks and also interrupts the chunk running
// in the worker, which stops after its current step ("paused").
//
// Two tabs of one origin share one storage. Every call that changes state runs holding the
// origin-wide Web Lock LOCK_NAME, after lab.sync() has caught up with what other tabs saved,
// and ends by announcing itself on the BroadcastChannel, so the other tabs follow. A run holds
// the lock until it ends: another tab's changes wait for it (its run reports phase "waiting").
// Should two writes still cross (no Web Locks), the executor's revision check refuses the
// stale one with a clear error instead of overwriting the other tab's state.
//
// The API key stays in Python's memory, bound to the endpoint (provider and URL) it was entered
// for; "remember" keeps it in localStorage (key-memory.mjs), used only with that same endpoint.
// Imports never move it elsewhere unless the user confirmed the file's URL.

import { forgetLocal } from "../reset.mjs";
import { CHANNEL, LOCK } from "../storage-keys.mjs";
import { ChangeGate } from "./busy.mjs";
import { LabError } from "./errors.mjs";
import { RunLoop } from "./run-loop.mjs";
import { moveRememberedKey, rememberKey } from "./key-memory.mjs";

export { LabError };

const LOCK_NAME = LOCK;
const CHANNEL_NAME = CHANNEL;

/** Changes that may replace the machine loaded (and its task names): see machineChanges. */
const MACHINE_CHANGES = new Set(["load", "data", "loadData", "import", "reset", "repair", "rollback", "switchMachine", "deleteMachine"]);

export class LabBridge extends RunLoop(EventTarget) {
  /** `pageApi` is Lab.page_api's table [{method, kind, api}]: the plain methods come from it. */
  constructor(lab, base, pageApi = []) {
    super();
    this.lab = lab;
    this.base = base;
    this.queue = Promise.resolve();
    this.running = null;       // {pauseRequested, done: Promise}
    this.asked = null;         // a run asked for that waits for the last one to stop
    this.examplesCache = null;
    this.holding = false;                // inside the Web Lock (a run or a change in progress)
    this.writes = Promise.resolve();     // the last change asked for; reads wait for it
    this.machineChanges = 0;             // changes asked for that may replace the machine loaded
    this.gate = new ChangeGate((label) => new LabError(`${label} is under way; try again when it has finished.`));
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL_NAME) : null;
    if (this.channel) this.channel.onmessage = () => this.followOtherTab();
    this.pageApi = pageApi;
    this.installPageMethods(pageApi);
  }

  /** A method per read / write / pause entry of the Python table (web/lab's only list of them);
   * "page" and "bytes" entries are composed below by hand and must exist. */
  installPageMethods(pageApi) {
    for (const { method, kind, api } of pageApi) {
      if (kind === "read") this[api] = (...args) => this.read(method, ...args);
      else if (kind === "write") this[api] = (...args) => this.mutate(api, method, ...args);
      else if (kind === "pause") this[api] = async (...args) => { await this.pause(); return this.mutate(api, method, ...args); };
      else if ((kind === "page" || kind === "bytes") && typeof this[api] !== "function") {
        throw new LabError(`the page does not implement ${api} (Lab.${method})`, "internal");
      }
    }
  }

  // --- other tabs -----------------------------------------------------------------------

  /** Run `work` holding the origin-wide lock, caught up with other tabs; then tell them. */
  async shared(work, signal = null, reentrant = true) {
    if (reentrant && this.holding) return work(); // this tab holds the lock (its run): no second one
    const body = async () => {
      this.holding = true;
      try {
        await this.catchUp();
        return await work();
      } finally {
        this.holding = false;
        this.channel?.postMessage({ changed: Date.now() });
      }
    };
    if (!navigator.locks) return body();
    return navigator.locks.request(LOCK_NAME, signal ? { signal } : {}, body);
  }

  /** Do `work(token)` as this tab's one change under way (`busy.mjs`): others are refused. */
  during(label, work) {
    return this.gate.during(label, work);
  }

  /** Throw if a change is under way that `token` does not belong to; else true. */
  refuseWhileBusy(token = null) {
    return this.gate.refuse(token);
  }

  /** Call a method that changes state, holding the lock; "change" fires before it is released.
   * Reads made after it (state, versions, ...) wait for it, as they did before there was a lock. */
  mutate(what, method, ...args) {
    return this.change(null, what, () => this.call(method, ...args));
  }

  /** `invoke()` as a change `what`, for the change under way `token` (or none). */
  change(token, what, invoke) {
    this.refuseWhileBusy(token);
    if (MACHINE_CHANGES.has(what)) this.machineChanges += 1;
    this.noticeWaiting(what);
    const result = this.shared(async () => this.changed(await invoke(), what));
    this.writes = result.then(() => {}, () => {});
    return result;
  }

  read(method, ...args) {
    return this.writes.then(() => this.call(method, ...args));
  }

  async catchUp() {
    const { changed } = await this.call("sync");
    if (changed) {
      this.machineChanges += 1; // another tab's session: perhaps another machine
      this.emit("change", { what: "sync" });
    }
    return changed;
  }

  /** Another tab changed something: reload what it saved (once no write is under way). */
  async followOtherTab() {
    if (this.running) return; // the run catches up when it gets the lock
    try {
      this.machineChanges += 1; // another tab's session: perhaps another machine
      if (navigator.locks) await navigator.locks.request(LOCK_NAME, () => this.call("sync"));
      else await this.call("sync");
      this.emit("change", { what: "sync" });
    } catch (failure) {
      console.error("following another tab failed:", failure);
    }
  }

  /** A change asked for while another tab holds the lock (its run) waits for it: say so
   * ("waiting" event), so it does not look as if nothing happened. */
  noticeWaiting(what) {
    if (this.holding) return; // this tab holds it: the change runs inside
    this.lockBusy().then((busy) => {
      if (busy && !this.holding) this.emit("waiting", { what });
    }).catch(() => {});
  }

  /** Whether another tab holds the lock (this tab's own change holding it is no wait to tell). */
  async lockBusy() {
    if (!navigator.locks?.query || this.holding) return false;
    const { held } = await navigator.locks.query();
    return held.some((lock) => lock.name === LOCK_NAME);
  }

  /** Run `work` after every call queued before it (Python state is not re-entrant). */
  exclusive(work) {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => {});
    return result;
  }

  async raw(method, ...args) {
    return this.reply(this.lab.call(method, JSON.stringify(args)), method);
  }

  /** The value of a Lab reply (its JSON text, awaited), or its error as a LabError. */
  async reply(pending, method) {
    const reply = JSON.parse(await pending);
    if (!reply.ok) {
      if (reply.kind !== "user") console.error(`lab.${method} failed:`, reply.error);
      throw new LabError(reply.error, reply.kind);
    }
    return reply.value;
  }

  call(method, ...args) {
    return this.exclusive(() => this.raw(method, ...args));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  async changed(value, what) {
    this.emit("change", { what });
    return value;
  }

  // --- examples and loading ---------------------------------------------------------

  async examples() {
    if (!this.examplesCache) {
      const response = await fetch(new URL("examples/index.json", this.base));
      if (!response.ok) throw new LabError(`examples/index.json: HTTP ${response.status}`);
      this.examplesCache = await response.json();
    }
    return this.examplesCache;
  }

  async fetchText(path) {
    const response = await fetch(new URL(`examples/${path}`, this.base));
    if (!response.ok) throw new LabError(`examples/${path}: HTTP ${response.status}`);
    return response.text();
  }

  async loadExample(name) {
    const example = (await this.examples()).find((e) => e.name === name);
    if (!example) {
      const names = (await this.examples()).map((e) => e.name).join(", ");
      throw new LabError(`no example ${JSON.stringify(name)}; examples: ${names}`);
    }
    const [dsl, data] = await Promise.all([this.fetchText(example.machine), this.fetchText(example.data)]);
    await this.pause();
    return this.mutate("load", "load", dsl, data, example.data.split("/").pop(), name);
  }

  async load(dsl, records) {
    let data = null;
    let name = null;
    if (Array.isArray(records)) { data = JSON.stringify(records); name = "records.json"; }
    else if (typeof records === "string") { data = records; name = "data"; }
    await this.pause();
    return this.mutate("load", "load", dsl, data, name, null);
  }

  /** A data file's bytes (a Uint8Array or ArrayBuffer): the engine finds the encoding. */
  async loadDataFile(data, filename = "") {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.refuseWhileBusy();
    await this.pause();
    return this.change(null, "data", () => this.exclusive(
      () => this.reply(this.lab.callBytes("load_data_file", JSON.stringify([filename]), bytes), "load_data_file")));
  }

  /** A data file's bytes read as loadDataFile would, changing nothing: {count, encoding, notice}. */
  async checkDataFile(data, filename = "") {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    return this.exclusive(() => this.reply(this.lab.callBytes("check_data_file", JSON.stringify([filename]), bytes), "check_data_file"));
  }

  // --- the LLM ------------------------------------------------------------------------

  async setLLM(config) {
    const settings = { ...config };
    if (settings.provider === "openai-compatible") settings.provider = "openai";
    const result = await this.mutate("llm", "set_llm", JSON.stringify(settings));
    rememberKey(settings, result.llm);
    return result;
  }

  // --- running ------------------------------------------------------------------------

  async step(n = 1) {
    await this.pause();
    return this.mutate("step", "step", Math.max(1, Math.floor(n)));
  }

  /** Run `n` steps in chunks; resolves once they ran, the data ran out, or pause() was called. */
  run(n = 300, options = {}) {
    return this.runLoop(Math.max(1, Math.floor(n)), options.until || null, options.task || null);
  }

  /** Run until a task (any, or `task`) reaches `stage`, at most `max` steps. */
  runUntil(stage, options = {}) {
    return this.runLoop(options.max || 100000, stage, options.task || null);
  }

  // --- state, versions, patterns --------------------------------------------------------

  async versions() {
    return (await this.state()).versions;
  }

  setPrices(prices) { return this.mutate("llm", "set_prices", JSON.stringify(prices)); }

  /** Every machine, version and pattern as JSON text. During this tab's run it is taken
   * between two chunks (the run holds the lock; export_state saves its progress first) and
   * the run goes on: exporting is not a reason to stop it. */
  async exportState() {
    return JSON.stringify(await this.shared(() => this.call("export_state")));
  }

  /** What an export holds and where its LLM points, checked without changing anything. */
  async inspectImport(json) {
    const text = typeof json === "string" ? json : JSON.stringify(json);
    return this.read("inspect_import", text);
  }

  /**
   * Write an export's machines in (stored machines of the same id are replaced, others stay). options.llm says what to do when the file's LLM endpoint
   * is not the one in use: "keep" (default: keep the settings in use), "file" (take the file's,
   * without the key) or "file_with_key" (take them and send the key there; ask the user first).
   */
  async importState(json, options = {}) {
    const text = typeof json === "string" ? json : JSON.stringify(json);
    const choice = options.llm || "keep";
    this.refuseWhileBusy(options.token);  // (the page's import: the token of its `during`)
    await this.pause();
    const state = await this.change(options.token || null, "import", () => this.call("import_state", text, JSON.stringify({ llm: choice })));
    if (choice === "file_with_key") moveRememberedKey(state.llm);
    return state;
  }

  /** Forget everything this browser keeps: stored state, the remembered key, drafts, settings. */
  async reset() {
    await this.pause();
    const state = await this.mutate("reset", "reset");
    forgetLocal();
    return state;
  }
}

/** Public names the page composes with no Lab method of their own. */
const PAGE_ONLY = ["examples", "loadExample", "run", "runUntil", "pause", "versions"];

/** The public surface: plain async functions bound to the bridge, one per public entry of the
 * Python table (Lab.page_api) and per PAGE_ONLY name. */
export function publicApi(bridge) {
  const names = [...bridge.pageApi.filter((e) => e.api && e.kind !== "internal").map((e) => e.api), ...PAGE_ONLY];
  const api = {};
  for (const name of names) api[name] = async (...args) => bridge[name](...args);
  api.examples = async () => (await bridge.examples()).map((e) => e.name);
  api.isRunning = () => bridge.isRunning;
  return api;
}
