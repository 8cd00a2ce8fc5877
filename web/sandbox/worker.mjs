// The sandbox Worker: its own Pyodide, with nothing but RestrictedPython and the engine's
// sandbox package, runs generated code for the engine. Before any generated code loads it
// removes every way out of this worker it does not need (network, storage, more workers,
// script loading), so Python that escaped the first layer still reaches nothing. It holds
// no secret. Its WebAssembly memory cannot grow past the limit the manager sends at boot
// (an allocation past it is a MemoryError), and each answer reports the heap's size. A hang,
// a fatal Pyodide error or a heap grown near the limit costs only this worker: the manager
// (manager.mjs) terminates it and starts another.

const CLOSED = [
  "fetch", "XMLHttpRequest", "WebSocket", "WebTransport", "EventSource", "importScripts",
  "indexedDB", "caches", "BroadcastChannel", "Worker", "SharedWorker", "Request",
];

let api = null;

const DRIVER = `
import json
from evomachine.sandbox import Budget, SandboxError, load_module

_modules = {}
_decode = json.JSONDecoder().decode
tick = None  # the worker's report that one more input of a batch is done (set at boot)


def _failure(error):
    kind = type(error).__name__ if isinstance(error, SandboxError) else "GeneratedCodeError"
    reason = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
    return {"ok": False, "kind": kind, "message": str(reason)[:2000]}


def load(key, code, filename, budget_json):
    try:
        budget = Budget(**json.loads(budget_json)) if budget_json else None
        _modules[key] = load_module(code, filename, budget)
        return json.dumps({"ok": True})
    except Exception as error:  # every failure is a refused module, never a dead worker
        return json.dumps(_failure(error))


def execute_many(key, inputs_json, context_json, id):
    """The batch's answers as one JSON text. Each input and each call's context are decoded
    from the JSON for that call alone (the module cannot reach another call's objects), so
    they are not copied again; each result's JSON is the module's own checked encoding."""
    module = _modules.get(key)
    if module is None:
        return '{"ok":false,"kind":"missing","message":"module not loaded"}'
    parts = []
    for index, item in enumerate(_decode(inputs_json)):
        if index:  # the manager's deadline holds per input: its clock starts again, and
            tick(id, parts[-1])  # it keeps the answer done, for a kill later in the batch
        try:
            text = module.execute_json(item, _decode(context_json), fresh=True)[1]
            parts.append('{"ok":true,"value":' + text + "}")
        except Exception as error:
            parts.append(json.dumps(_failure(error)))
    return '{"ok":true,"results":[' + ",".join(parts) + "]}"


def unload(key):
    _modules.pop(key, None)
    return "{}"
`;

let memory = null;  // the Pyodide's WebAssembly.Memory, once it grew
let heapSize = () => (memory ? memory.buffer.byteLength : 0);

/** Refuse to grow any WebAssembly memory of this worker past `limit` bytes: Pyodide's heap
 *  growth fails, so an allocation past it is a MemoryError in Python, not gigabytes. */
function limitMemory(limit) {
  const grow = WebAssembly.Memory.prototype.grow;
  Object.defineProperty(WebAssembly.Memory.prototype, "grow", {
    value(pages) {
      if (this.buffer.byteLength + pages * 65536 > limit) {
        throw new RangeError(`the sandbox worker's memory is limited to ${limit} bytes`);
      }
      memory = this;
      return grow.call(this, pages);
    },
    writable: false, configurable: false,
  });
}

function close() {
  for (const name of CLOSED) {
    try {
      Object.defineProperty(self, name, { value: undefined, writable: false, configurable: false });
    } catch { /* already gone */ }
  }
}

async function boot({ indexURL, wheels, memoryLimit }) {
  if (memoryLimit) limitMemory(memoryLimit);
  const { loadPyodide } = await import(new URL("pyodide.mjs", indexURL).href);
  const pyodide = await loadPyodide({ indexURL, fullStdLib: false });
  const heap = pyodide._module && pyodide._module.HEAP8;  // before any growth: its first size
  if (heap) heapSize = () => (memory || heap).buffer.byteLength;
  await pyodide.loadPackage(wheels, { messageCallback: () => {}, checkIntegrity: false });
  const driver = pyodide.runPython(`
import types
_driver = types.ModuleType("evomachine_sandbox_driver")
exec(compile(${JSON.stringify(DRIVER)}, "sandbox-driver.py", "exec"), _driver.__dict__)
_driver`);
  driver.tick = (id, done) => self.postMessage({ id, tick: true, done: String(done) });
  api = {
    load: driver.load, execute_many: driver.execute_many, unload: driver.unload,
  };
  close();
}

self.onmessage = async (event) => {
  const { id, op } = event.data || {};
  const began = performance.now();
  try {
    let text;
    if (op === "boot") {
      await boot(event.data);
      text = "{}";
    } else if (!api) {
      throw new Error("the sandbox has not booted");
    } else if (op === "load") {
      text = api.load(event.data.key, event.data.code, event.data.filename, event.data.budget || "");
    } else if (op === "execute_many") {
      text = api.execute_many(event.data.key, event.data.inputs, event.data.context, id);
    } else if (op === "unload") {
      text = api.unload(event.data.key);
    } else if (op === "open") {
      // Which of the closed names this scope still offers (none, once booted), for checks.
      text = JSON.stringify(CLOSED.filter((name) => self[name] !== undefined));
    } else {
      throw new Error(`unknown operation ${String(op)}`);
    }
    // The heap's size after each answer (the manager retires a worker that grew too big)
    // and the time this worker spent on it (the manager stops a module that is too slow).
    self.postMessage({ id, text: String(text), heap: heapSize(), ms: performance.now() - began });
  } catch (error) {
    // A Python exception escaping the driver or a fatal Pyodide error: this worker is done.
    self.postMessage({ id, fatal: String(error && error.message ? error.message : error).slice(0, 2000) });
  }
};
