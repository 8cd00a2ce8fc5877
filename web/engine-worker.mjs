// The engine Worker: Pyodide, the engine and its storage run here, never on the page.
//
// The page (web/lab/engine.mjs) starts this module worker and drives it over web/lab/rpc.mjs:
//   boot({base, manifest})   load Pyodide and the manifest's engine wheels from this origin,
//                            import the engine; posts phase(name, "done") after each phase;
//                            resolves with the engine version
//   open(options)            import evomachine.app and open the Lab (storage, remembered key);
//                            resolves with {import_ms, open_ms, page_api} (Lab.page_api's table)
//   call(method, argsJson)   the Lab's one door, Lab.call -> its JSON reply text, unparsed
//   callBytes(method, argsJson, bytes)   Lab.call_bytes: a file's bytes (a Uint8Array) first
//   interrupt()              answered at once, even while a call runs: asks the chunk now
//                            running to stop after its current step (the page's Pause)
// and notifies stopped(detail) when Pyodide suffered a fatal error and can no longer run.
// Python's `js` module here is this worker's global scope: IndexedDB is there, localStorage is
// not. When the engine has to use localStorage (no IndexedDB, or asked for), it works on
// `evomachinePageStorage`, a copy of the page's entries kept in step with the page (below).
// The page's <meta> CSP does not reach a Worker: its policy comes with this script's HTTP
// response. Serve web/engine-worker.mjs (and web/sandbox/worker.mjs) with the page's policy as a
// Content-Security-Policy header to hold the engine to it (tests/e2e/test_engine_worker.py
// checks the engine boots and runs under it).

import { RpcPeer } from "./lab/rpc.mjs";
import { SandboxManager } from "./sandbox/manager.mjs";
import { ENGINE_ROOT, PAGE_STORAGE_GLOBAL } from "./storage-keys.mjs";

const PHASES = ["runtime", "packages", "engine"];
const LOCAL_ROOT = ENGINE_ROOT; // LocalStorageBackend's items: its prefix, then a bar

let pyodide = null;
let lab = null;

const peer = new RpcPeer(self);

// The engine's cooperative turns (py_src/evomachine/cooperate.py) await this, so that a long
// synthesis lets the page's messages (Pause) in: a zero-delay timer does, whereas Pyodide's own
// short sleeps are MessageChannel tasks, which Chromium runs ahead of them.
globalThis.evomachineTurn = () => new Promise((resolve) => { setTimeout(resolve, 0); });

function phaseDone(name, started) {
  peer.notify("phase", name, performance.now() - started);
}

peer.handle("boot", async ({ base, manifest }) => {
  const root = new URL(base);
  let started = performance.now();
  const { loadPyodide } = await import(new URL("pyodide/pyodide.mjs", root).href);
  pyodide = await loadPyodide({ indexURL: new URL("pyodide/", root).href, fullStdLib: false });
  // A fatal error (deep C recursion, memory) ends this Pyodide for good: say so at once, so the
  // page stops sending calls that could only fail and tells the person to reload.
  pyodide._api.on_fatal = (error) => peer.notify("stopped", String(error?.message ?? error));
  globalThis.evomachinePyodide = pyodide; // for devtools and tests/e2e/test_engine_stopped.py
  phaseDone(PHASES[0], started);
  started = performance.now();
  const urls = manifest.wheels
    .filter((w) => w.group === "engine")
    .map((w) => new URL(`wheels/${w.file}`, root).href);
  await pyodide.loadPackage(urls, { messageCallback: () => {}, checkIntegrity: false });
  phaseDone(PHASES[1], started);
  started = performance.now();
  // Generated code runs in its own Worker (nested in this one), started on first use; Python's
  // WorkerHost finds the manager here, in the engine's global scope, as js.evomachineSandbox.
  globalThis.evomachineSandbox = new SandboxManager({ base: root, manifest });
  const module = pyodide.pyimport("evomachine");
  const version = module.__version__;
  module.destroy?.();
  phaseDone(PHASES[2], started);
  return version;
});

peer.handle("open", async (options) => {
  if (!pyodide) throw new Error("the engine has not booted");
  const started = performance.now();
  if (!self.indexedDB || String(options.storage || "").toLowerCase() === "localstorage") {
    const snapshot = await peer.request("localStorage.snapshot", LOCAL_ROOT);
    if (snapshot) self[PAGE_STORAGE_GLOBAL] = new PageStorage(snapshot);
  }
  const module = pyodide.pyimport("evomachine.app");
  const imported = performance.now();
  lab = await module.Lab.open_json(JSON.stringify(options));
  module.destroy?.();
  // The page methods and how the page calls them: the bridge builds its methods from this.
  const pageApi = JSON.parse(lab.page_api());
  return { import_ms: imported - started, open_ms: performance.now() - imported, page_api: pageApi };
});

peer.handle("call", async (method, argsJson) => {
  if (!lab) throw new Error("the lab is not open");
  return lab.call(method, argsJson);
});

peer.handle("callBytes", async (method, argsJson, bytes) => {
  if (!lab) throw new Error("the lab is not open");
  return lab.call_bytes(method, argsJson, bytes); // Python reads it with to_bytes()
});

// Not queued behind the call in progress: this is how Pause reaches a running chunk. The chunk
// sees the flag after its current step (when its step awaited something, e.g. the LLM) or the
// page stops between chunks (when the chunk never yielded). Between chunks it still cancels
// the LLM requests sent ahead that have not finished.
peer.handle("interrupt", async () => {
  if (!lab) return false;
  const reply = JSON.parse(await lab.call("interrupt", "[]"));
  return Boolean(reply.ok && reply.value.interrupting);
});

/**
 * The page's localStorage entries of the engine, as a Web Storage look-alike the
 * LocalStorageBackend can use synchronously. Reads come from this copy (taken from the page when
 * the lab opened, and updated when another tab changes an entry); every write changes the copy
 * and is sent to the page, which applies it to localStorage in order. A write the page could not
 * make (the quota) is reported back: the copy takes the page's value again and the next write
 * here fails with QuotaExceededError, so the engine says storage is full.
 */
class PageStorage {
  constructor(entries) {
    this.items = new Map(Object.entries(entries));
    this.names = null; // key(i) order, rebuilt after a change
    this.failure = null;
    peer.handle("localStorage.changed", (name, value) => this.put(name, value));
    peer.handle("localStorage.replace", (all) => {
      this.items = new Map(Object.entries(all));
      this.names = null;
    });
    peer.handle("localStorage.failed", (name, value, message) => {
      this.put(name, value);
      this.failure = message;
    });
  }

  put(name, value) {
    if (value === null) this.items.delete(name);
    else this.items.set(name, value);
    this.names = null;
  }

  get length() { return this.items.size; }
  key(index) {
    this.names ??= [...this.items.keys()];
    return this.names[index] ?? null;
  }
  getItem(name) { return this.items.has(name) ? this.items.get(name) : null; }

  setItem(name, value) {
    if (this.failure) {
      const message = this.failure;
      this.failure = null;
      throw new DOMException(`the page's localStorage is full (${message})`, "QuotaExceededError");
    }
    this.put(String(name), String(value));
    peer.notify("localStorage.set", String(name), String(value));
  }

  removeItem(name) {
    this.put(String(name), null);
    peer.notify("localStorage.set", String(name), null);
  }
}
