// The page's side of the engine Worker (web/engine-worker.mjs): start it, boot it, call it.
// The page never runs Python: everything below is messages (web/lab/rpc.mjs). `call` has the
// shape Lab.call had when Pyodide ran on the page, (method, argsJson) -> Promise of the reply
// text, so the bridge (bridge.mjs) is unchanged above it.
//
// Page-only things stay here: the worker has no localStorage, so when the engine must use it
// (a browser without IndexedDB, or window.evomachineOptions = {storage: "localstorage"}) it asks
// for a copy of the engine's entries once and sends every write back to be applied here; changes
// other tabs make reach it through the page's `storage` event. Only the storage backend's own
// entries ("evomachine:|...") cross; the remembered API key and page settings never do.

import { RpcError, RpcPeer } from "./rpc.mjs";
import { ENGINE_ROOT, PROBE } from "../storage-keys.mjs";

function engineEntries(root) {
  const entries = {};
  for (let i = 0; i < localStorage.length; i += 1) {
    const name = localStorage.key(i);
    if (name && name.startsWith(root)) entries[name] = localStorage.getItem(name);
  }
  return entries;
}

export class EngineClient {
  /** Start the worker; `onPhase(name, ms)` hears each boot phase end (ms measured there);
   * `onTrouble({stopped, message})` hears the engine stop for good (stopped: every call fails
   * from then on) or report an error of its own after it started. */
  constructor(base, onPhase = () => {}, onTrouble = () => {}) {
    this.worker = new Worker(new URL("web/engine-worker.mjs", base), { type: "module", name: "evomachine-engine" });
    this.alive = false;
    this.stopped = null; // why the engine can no longer run, once it cannot
    this.onTrouble = onTrouble;
    this.sharesLocalStorage = false;
    this.peer = new RpcPeer(this.worker, {
      phase: (name, ms) => onPhase(name, ms),
      stopped: (detail) => this.stop(detail),
      "localStorage.snapshot": (root) => this.snapshot(root),
      "localStorage.set": (name, value) => this.applyWrite(name, value),
    });
    this.worker.addEventListener("message", () => { this.alive = true; }, { once: true });
    this.worker.addEventListener("error", (event) => {
      // Before the worker ever answered, an error means it could not start (a missing or
      // refused script): nothing will answer, so fail what waits. Later ones are its own bugs.
      const detail = event.message || "its script could not be loaded or was refused";
      if (!this.alive) this.peer.fail(new RpcError(`the engine worker did not start: ${detail}`));
      else this.trouble(false, `the engine reported an error: ${detail}`);
    });
    this.worker.addEventListener("messageerror", () => this.trouble(false, "the engine sent a message the page could not read"));
  }

  /** The engine cannot run any more (`detail` says why): every call waiting or to come fails. */
  stop(detail) {
    if (this.stopped) return;
    this.stopped = String(detail || "a fatal error");
    this.peer.fail(new RpcError(`The engine stopped (${this.stopped}) and can no longer run; reload the page to start it again.`, "EngineStopped"));
    this.trouble(true, this.stopped);
  }

  trouble(stopped, message) {
    console.error("engine worker:", message);
    try { this.onTrouble({ stopped, message }); } catch (error) { console.error(error); }
  }

  boot(base, manifest) { return this.peer.request("boot", { base: new URL(base).href, manifest }); }

  /** Open the Lab: `{storage, api_key, key_endpoint}`; resolves with its {import_ms, open_ms}. */
  open(options) { return this.peer.request("open", options); }

  /** The Lab's one door: the reply text {ok, value | error, kind}. */
  call(method, argsJson) { return this.peer.request("call", method, argsJson); }

  /** The Lab's door for a method taking a file's bytes first (Lab.call_bytes): the bytes cross
   * as a typed array, not as JSON text. */
  callBytes(method, argsJson, bytes) { return this.peer.request("callBytes", method, argsJson, bytes); }

  /** Ask the chunk running now to stop after its current step; resolves true when one was asked. */
  interrupt() { return this.peer.request("interrupt"); }

  // --- localStorage, for an engine that has to use it --------------------------------------

  snapshot(root) {
    if (root !== ENGINE_ROOT) throw new RpcError(`the engine may read only ${ENGINE_ROOT} entries`);
    let entries;
    try {
      localStorage.setItem(PROBE, "1");
      localStorage.removeItem(PROBE);
      entries = engineEntries(root);
    } catch {
      return null; // localStorage is disabled here too
    }
    if (!this.sharesLocalStorage) {
      this.sharesLocalStorage = true;
      window.addEventListener("storage", (event) => this.otherTabWrote(event));
    }
    return entries;
  }

  applyWrite(name, value) {
    if (typeof name !== "string" || !name.startsWith(ENGINE_ROOT)) {
      console.error("engine worker: refused a localStorage write outside its entries:", name);
      return;
    }
    try {
      if (value === null) localStorage.removeItem(name);
      else localStorage.setItem(name, value);
    } catch (error) {
      let now = null;
      try { now = localStorage.getItem(name); } catch { /* disabled meanwhile */ }
      this.peer.notify("localStorage.failed", name, now, String(error?.message ?? error));
    }
  }

  otherTabWrote(event) {
    if (event.storageArea !== localStorage) return;
    if (event.key === null) this.peer.notify("localStorage.replace", engineEntries(ENGINE_ROOT));
    else if (event.key.startsWith(ENGINE_ROOT)) this.peer.notify("localStorage.changed", event.key, event.newValue);
  }
}
