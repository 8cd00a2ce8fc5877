// Runs generated code in a dedicated Worker (worker.mjs) on the engine's behalf, behind the
// interface Python's WorkerHost calls (globalThis.evomachineSandbox). Each call has a deadline;
// a call that overruns it, a worker that dies or answers out of shape gets the worker terminated,
// the pending calls fail with a BoundaryError, and the next call starts a fresh worker and loads
// its modules again from the sources kept here. The answers a killed batch finished before
// its culprit come with its failure ("done"), so they stand as they would one call at a time. Every answer is a JSON string, never a rejection.
// Once a worker runs, a spare boots beside it (a second Pyodide, idle until needed): a killed
// worker is replaced at once, so the call after a kill does not wait seconds for a boot.
// The deadline holds per input: the worker reports each input of a batch it finished, and
// each report restarts the clock. The worker answers in order, so only the oldest pending call
// (the one it runs) is on the clock; the next one's clock starts when it is answered. A module whose call cost the worker (its deadline, a fatal
// error, an answer out of shape) is failed until it is loaded again: its later calls get the
// same failure at once and never wait for a worker. Calls that were only queued behind it
// fail with cause "restarted" and their modules stay usable. A worker's heap cannot grow past
// MEMORY_LIMIT (worker.mjs refuses); one that answers with a heap past RETIRE_BYTES is killed
// as "retired" (out of memory), blaming the call that grew it.

const DEFAULT_DEADLINE_MS = 1000; // per input; a hostile module's whole visit stays under 2 s
const BOOT_DEADLINE_MS = 120000;
const LOAD_DEADLINE_MS = 10000; // a module body (its tables) may take a while on a loaded machine:
const LOAD_CHARS_PER_MS = 256;  // the call deadline plus 1 ms per 256 characters (4 s a MB), at most that
const MAX_REPLY_CHARS = 8 * 1024 * 1024;
const MEMORY_LIMIT = 512 * 1024 * 1024;  // the Worker's WebAssembly heap cannot grow past it
const RETIRE_BYTES = 384 * 1024 * 1024;  // a heap this big after a call: the Worker is retired
const SLOW_MS = 50;  // a module whose inputs took longer on average (the Worker's time) is stopped,
const SLOW_AFTER = 4;  // counting at least this many inputs (a first call has 200 ms)
const SANDBOX_WHEELS = ["restrictedpython", "evomachine"];

function isJson(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;  // a worker whose Pyodide answers garbage (its memory spoilt) is done
  }
}

function failure(kind, message, cause) {
  return JSON.stringify({ ok: false, kind, message, cause });
}

export class SandboxManager {
  constructor({ base, manifest, deadlineMs = DEFAULT_DEADLINE_MS, slowMs = SLOW_MS }) {
    this.base = base;
    this.deadlineMs = deadlineMs;
    this.slowMs = slowMs;
    this.spent = new Map();  // key -> {inputs, ms}: the Worker's time on the module's calls
    this.wheels = manifest.wheels
      .filter((w) => w.group === "engine" && SANDBOX_WHEELS.some((name) => w.file.toLowerCase().startsWith(name)))
      .map((w) => new URL(`wheels/${w.file}`, base).href);
    this.sources = new Map();  // key -> {code, filename, budget}
    this.worker = null;
    this.booting = null;
    this.loaded = new Set();  // keys loaded in the current worker
    this.pending = new Map();  // id -> {resolve, timer, key, deadlineMs}
    this.failed = new Map();  // key -> the failure of the call of that module that cost a worker
    this.nextId = 1;
    this.restarts = 0;
    this.lastExit = null;
    this.spare = null;  // {worker, ready}: a worker booting in the background, not yet in use
    this.peakHeap = 0;  // the biggest heap a worker reported after an answer, in bytes
    this.requests = 0;  // executeMany calls of loaded modules (a batch counts once)
    this.inputs = 0;  // the inputs those calls carried
  }

  describe() {
    return JSON.stringify({ kind: "worker", restarts: this.restarts, last_exit: this.lastExit,
                            running: Boolean(this.worker), spare: Boolean(this.spare),
                            modules: this.sources.size, peak_heap: this.peakHeap,
                            requests: this.requests, inputs: this.inputs });
  }

  async load(key, code, filename, budget) {
    this.sources.set(String(key), { code: String(code), filename: String(filename), budget: String(budget || "") });
    this.loaded.delete(String(key));  // a key loaded again gets its new source, never the old one
    this.failed.delete(String(key));
    this.spent.delete(String(key));
    const text = await this.ensureLoaded(String(key));
    if (!JSON.parse(text).ok) this.sources.delete(String(key));
    return text;
  }

  /** The answers of module `key` on `inputs` (JSON text of a list), or its failure.
   *  `count`, when given, is how many inputs the list holds (saves parsing it here). */
  executeMany(key, inputs, context, count) {
    key = String(key);
    if (this.failed.has(key)) return Promise.resolve(this.failed.get(key));
    if (!this.sources.has(key)) return Promise.resolve(failure("missing", "module not loaded"));
    const message = { op: "execute_many", key, inputs: String(inputs), context: String(context) };
    const ticks = Math.max(1, Number.isInteger(count) ? count : JSON.parse(inputs).length || 1) - 1;
    this.requests += 1;
    this.inputs += ticks + 1;
    if (this.worker && !this.booting && this.loaded.has(key)) {  // the usual case: no waiting
      return this.request(message, this.deadlineMs, ticks);
    }
    return this.ensureLoaded(key).then((loaded) => (
      JSON.parse(loaded).ok ? this.request(message, this.deadlineMs, ticks) : loaded));
  }

  /** describe() once a worker runs and the spare beside it has booted (or failed to): the
   *  state a kill finds at its best, replaced at once. */
  async whenReady() {
    await this.start();
    if (this.spare) await this.spare.ready;
    return this.describe();
  }

  /** The names of network, storage and loading APIs the Worker's scope still offers. */
  async openDoors() {
    const booted = await this.start();
    return booted || this.request({ op: "open" }, this.deadlineMs);
  }

  async unload(key) {
    key = String(key);
    this.sources.delete(key);
    this.failed.delete(key);
    this.spent.delete(key);
    if (this.loaded.delete(key) && this.worker) await this.request({ op: "unload", key }, this.deadlineMs);
    return "{}";
  }

  async ensureLoaded(key) {
    const booted = await this.start();
    if (booted) return booted;
    if (this.loaded.has(key)) return JSON.stringify({ ok: true });
    const source = this.sources.get(key);
    const deadline = Math.min(LOAD_DEADLINE_MS, this.deadlineMs + Math.ceil(source.code.length / LOAD_CHARS_PER_MS));
    const text = await this.request({ op: "load", key, ...source }, deadline);
    if (JSON.parse(text).ok) this.loaded.add(key);
    return text;
  }

  /** Start a worker if none runs; a JSON failure if it cannot boot, else null.
   *  A spare booted in the background takes over at once when there is one (after a kill the
   *  next call does not wait for Pyodide to boot); once a worker runs, the next spare boots. */
  async start() {
    if (this.worker && !this.booting) return null;
    if (!this.booting) {
      const spare = this.spare;
      this.spare = null;
      this.booting = (spare ? spare.ready : Promise.resolve(false)).then((ready) => {
        if (ready) return this.adopt(spare.worker, null);
        if (spare) spare.worker.terminate();
        const worker = new Worker(new URL("web/sandbox/worker.mjs", this.base), { type: "module" });
        return this.adopt(worker, this.bootMessage());
      }).then((text) => {
        this.booting = null;
        const failed = text !== null && JSON.parse(text).ok === false;
        if (!failed && this.worker && !this.spare) this.spare = this.spawnSpare();
        return failed ? text : null;
      });
    }
    return this.booting;
  }

  bootMessage() {
    return { op: "boot", indexURL: new URL("pyodide/", this.base).href, wheels: this.wheels,
             memoryLimit: MEMORY_LIMIT };
  }

  /** Make `worker` the one calls go to; boot it first when `boot` is a message. */
  adopt(worker, boot) {
    this.worker = worker;
    this.loaded = new Set();
    worker.onmessage = (event) => this.settle(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.kill("crashed", `the sandbox worker failed: ${event.message || "error"}`);
    };
    return boot ? this.request(boot, BOOT_DEADLINE_MS) : Promise.resolve(null);
  }

  /** A worker booting on its own, not yet answering calls: {worker, ready: Promise<bool>}. */
  spawnSpare() {
    const worker = new Worker(new URL("web/sandbox/worker.mjs", this.base), { type: "module" });
    const ready = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), BOOT_DEADLINE_MS);
      worker.onmessage = (event) => {
        clearTimeout(timer);
        resolve(Boolean(event.data && event.data.id === 0 && typeof event.data.text === "string"));
      };
      worker.onerror = (event) => { event.preventDefault(); clearTimeout(timer); resolve(false); };
    });
    worker.postMessage({ id: 0, ...this.bootMessage() });
    return { worker, ready };
  }

  /** Send `message`; its answer, or a failure once `deadlineMs` pass without one (or without
   *  a report that one more input of a batch is done: each restarts the clock), counted from
   *  when the worker is done with the calls before it. */
  request(message, deadlineMs, ticks = 0) {
    const id = this.nextId++;
    if (!this.worker) return Promise.resolve(failure("BoundaryError", "the sandbox worker stopped", "crashed"));
    return new Promise((resolve) => {
      const entry = { resolve, key: message.key, op: message.op, inputs: ticks + 1, deadlineMs, ticks,
                      timer: null, done: [], doneChars: 0 };
      this.pending.set(id, entry);
      if (this.pending.size === 1) this.arm(entry);
      this.worker.postMessage({ id, ...message });
    });
  }

  /** Start (or restart) the clock of `entry`, the call the worker runs now. */
  arm(entry) {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(
      () => this.kill("deadline", `the sandbox worker ran past its ${entry.deadlineMs} ms deadline`),
      entry.deadlineMs);
  }

  settle(data) {
    const entry = data && this.pending.get(data.id);
    if (!entry) return this.kill("protocol", "the sandbox worker answered a question nobody asked");
    if (typeof data.fatal === "string") return this.kill("crashed", `the sandbox worker died: ${data.fatal}`);
    if (data.tick === true) {  // one more input of a batch done: its clock starts again
      if (entry.ticks-- <= 0) return this.kill("protocol", "the sandbox worker reported more inputs than sent");
      const done = typeof data.done === "string" ? data.done : "";
      if (done && entry.doneChars + done.length <= MAX_REPLY_CHARS && entry.done.length === entry.inputs - entry.ticks - 2) {
        entry.done.push(done);  // kept in order, for a kill later in the batch
        entry.doneChars += done.length;
      }
      return this.arm(entry);
    }
    if (typeof data.text !== "string" || data.text.length > MAX_REPLY_CHARS || !isJson(data.text)) {
      return this.kill("protocol", "the sandbox worker answered out of shape");
    }
    if (typeof data.heap === "number" && data.heap > this.peakHeap) this.peakHeap = data.heap;
    if (typeof data.heap === "number" && data.heap >= RETIRE_BYTES) {  // this call grew it
      return this.kill("retired", `the sandbox worker's memory grew to ${Math.round(data.heap / 2 ** 20)} MB ` +
                                  `(limit ${MEMORY_LIMIT / 2 ** 20} MB): out of memory`);
    }
    clearTimeout(entry.timer);
    this.pending.delete(data.id);
    const next = this.pending.values().next().value;
    if (next && next.timer === null) this.arm(next);
    if (entry.op === "execute_many" && typeof data.ms === "number") this.charge(entry, data.ms);
    entry.resolve(data.text);
  }

  /** Count `ms` of the Worker's time against the module of `entry` (a call of `inputs`). A
   *  module whose calls took more than `slowMs` per input, over at least SLOW_AFTER inputs
   *  (its first calls share SLOW_AFTER x slowMs), is failed as past its deadline (this answer
   *  still stands): each call ends within the deadline, but work outside the tick budget (a
   *  codec in pure Python, colliding hashes) would cost the engine seconds every few calls. */
  charge(entry, ms) {
    const spent = this.spent.get(entry.key) || { inputs: 0, ms: 0 };
    spent.inputs += entry.inputs;
    spent.ms += ms;
    this.spent.set(entry.key, spent);
    if (spent.ms > this.slowMs * Math.max(spent.inputs, SLOW_AFTER) && this.sources.has(entry.key)) {
      this.failed.set(entry.key, failure("BoundaryError", `its ${spent.inputs} inputs took the ` +
        `sandbox worker ${Math.round(spent.ms)} ms (limit ${this.slowMs} ms each): not run again`,
        "deadline"));
      // what it keeps in the worker (a cache it grew) is dropped; a new load brings it back
      if (this.loaded.delete(entry.key) && this.worker) this.request({ op: "unload", key: entry.key }, this.deadlineMs);
    }
  }

  /** Terminate the worker: the oldest pending call (the one the worker runs) fails with
   *  `cause` and its module is failed until loaded again; the others fail as "restarted". */
  kill(cause, message) {
    const culprit = this.pending.keys().next().value;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.booting = null;
    this.loaded = new Set();
    this.restarts += 1;
    this.lastExit = cause;
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, { resolve, timer, key, done }] of pending) {
      clearTimeout(timer);
      if (id !== culprit) {
        resolve(failure("BoundaryError", `stopped with the sandbox worker: ${message}`, "restarted"));
        continue;
      }
      const text = failure("BoundaryError", message, cause);
      if (key !== undefined && this.sources.has(key)) this.failed.set(key, text);
      // the batch's inputs before the culprit were answered: those answers stand
      resolve(done && done.length ? JSON.stringify({ ...JSON.parse(text), done }) : text);
    }
  }
}
