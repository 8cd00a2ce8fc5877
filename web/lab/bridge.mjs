// The automation API (window.evomachine) over the Python Lab. Every call returns a promise.
// Python runs in the engine Worker (engine.mjs, engine-worker.mjs) and is called through one
// door, Lab.call(method, argsJson) -> {ok, value | error}, as messages, so no proxy crosses.
// Runs are chunked: run_chunk does a few steps or ~30 ms, and the loop here asks for the next
// one. pause() stops the loop between chunks and also interrupts the chunk running in the
// worker, which stops after its current step ("paused").
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
import { moveRememberedKey, rememberKey } from "./key-memory.mjs";

const CHUNK_STEPS = 2000;
const CHUNK_BUDGET_MS = 30;
const PERSIST_EVERY_MS = 3000;
const LOCK_NAME = LOCK;
const CHANNEL_NAME = CHANNEL;

/** Changes that may replace the machine loaded (and its task names): see machineChanges. */
const MACHINE_CHANGES = new Set(["load", "data", "loadData", "import", "reset", "repair", "rollback", "switchMachine", "deleteMachine"]);

export class LabError extends Error {
  constructor(message, kind = "user") {
    super(message);
    this.name = "LabError";
    this.kind = kind;
  }
}

const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldToBrowser() {
  return new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });
}

export class LabBridge extends EventTarget {
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

  async runLoop(total, until, task) {
    this.refuseWhileBusy();
    const control = { pauseRequested: false, abort: new AbortController() };
    let finish;
    control.done = new Promise((resolve) => { finish = resolve; });
    // The run is asked for from the call on: Pause stops it while the last run is ending too.
    const earlier = this.asked; // asked for before this one and not started: this one replaces it
    this.asked = control;
    if (earlier) { earlier.pauseRequested = true; earlier.abort.abort(); }
    await this.stop(this.running);
    if (earlier) await earlier.done;
    if (this.asked === control) this.asked = null;
    this.running = control;
    try {
      if (await this.lockBusy()) this.emit("run", { phase: "waiting", total, until });
      return await this.shared(() => this.runChunks(control, total, until, task), control.abort.signal, false);
    } catch (failure) {
      if (failure?.name !== "AbortError") throw failure;
      const summary = { steps: 0, reason: "paused", error: null, elapsed_ms: 0, steps_per_s: 0, stages: {}, halted: false, interrupted: false, interrupted_node: null, reached: null, failed: 0, last_failure: null };
      this.emit("run", { phase: "end", ...summary, total, until });
      return summary; // paused while waiting for another tab
    } finally {
      if (this.running === control) this.running = null;
      finish();
    }
  }

  async runChunks(control, total, until, task) {
    const started = performance.now();
    let lastPersist = started;
    let steps = 0;
    let reason = "done";
    let error = null;
    let last = null;
    let failed = 0; // task executions that failed; the machine moved on
    let lastFailure = null;
    this.emit("run", { phase: "start", total, until });
    try {
      while (steps < total) {
        if (control.pauseRequested) { reason = "paused"; break; }
        const want = Math.min(CHUNK_STEPS, total - steps);
        last = await this.call("run_chunk", want, CHUNK_BUDGET_MS, until, task);
        steps += last.steps;
        failed += last.failed || 0;
        lastFailure = last.last_failure || lastFailure;
        const elapsed = performance.now() - started;
        this.emit("run", { phase: "progress", steps, total, elapsed, rate: steps / (elapsed / 1000), chunk: last, until });
        if (!["done", "budget"].includes(last.reason)) { reason = last.reason; error = last.error; break; }
        if (performance.now() - lastPersist > PERSIST_EVERY_MS) {
          await this.call("persist");
          lastPersist = performance.now();
        }
        await yieldToBrowser();
      }
    } catch (failure) {
      reason = "error";
      error = failure.message;
    }
    const elapsed = performance.now() - started;
    const summary = {
      steps, reason, error, elapsed_ms: elapsed, steps_per_s: elapsed > 0 ? steps / (elapsed / 1000) : 0,
      stages: last ? last.stages : {}, halted: last ? last.halted : false,
      interrupted: last ? last.reason === "paused" : false, // Pause stopped a chunk in the engine
      // The node whose step Pause cut short (its LLM request was aborted); it runs again next time.
      interrupted_node: last?.interrupted_node ?? null,
      reached: last?.reached ?? null, // the task at the stage asked for
      failed, last_failure: lastFailure,
    };
    // The run has stopped: say so now; saving what it did follows (run() resolves after it).
    control.saving = true;
    this.emit("run", { phase: "end", ...summary, total, until });
    try {
      await this.call("persist");
    } catch (failure) {
      if (summary.reason !== "error") Object.assign(summary, { reason: "error", error: failure.message });
    }
    this.emit("change", { what: "run" });
    if (summary.reason === "error" || summary.reason === "no_llm") throw new LabError(summary.error || "the run stopped");
    return summary;
  }

  /** Stop a run between chunks, and one asked for that has not started yet; resolves once
   * they have stopped (at once when none runs). */
  async pause() {
    const asked = this.asked;
    if (asked) { asked.pauseRequested = true; asked.abort.abort(); }
    const stopped = await this.stop(this.running);
    if (asked) await asked.done;
    return stopped || asked !== null;
  }

  /** Stop the run `control` (none: nothing to do); resolves once it has ended. */
  async stop(control) {
    if (!control) return false;
    control.pauseRequested = true;
    control.abort.abort(); // only matters while the run waits for another tab's lock
    // The engine runs in a Worker: tell the chunk running there to stop after its current step.
    // When it took the message (the chunk was waiting, e.g. for the LLM), the page says so.
    this.lab.interrupt?.().then((interrupting) => {
      // (the answer may come after the run has ended and said so: then it says nothing)
      if (interrupting && this.running === control && !control.saving) this.emit("run", { phase: "pausing" });
    }).catch(() => {});
    await control.done;
    return true;
  }

  get isRunning() {
    return this.running !== null || this.asked !== null;
  }

  /** The run was asked to pause, or has stopped and is saving what it did: a run asked for
   * now starts once it has ended (runLoop waits for it). */
  get isStopping() {
    return this.running !== null && (this.running.pauseRequested || this.running.saving === true);
  }

  /** The run has stopped and is saving what it did (the page shows how it ended). */
  get isSaving() {
    return this.running?.saving === true;
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
