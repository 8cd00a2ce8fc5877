// One small message protocol between the page and the engine Worker, used on both sides.
//
//   request       {id, method, args}           -> the other side runs handlers[method](...args)
//   reply         {id, ok: true, value}        or {id, ok: false, error: {name, message}}
//   notification  {method, args}               (no id, no reply)
//
// Each side numbers its own requests; a message with `ok` is a reply to one of ours, a message
// with `method` is the other side's. Values cross by structured clone (the engine's answers are
// JSON text, so one string each). A request whose handler is missing is answered with an error.

export class RpcError extends Error {
  constructor(message, name = "RpcError") {
    super(message);
    this.name = name;
  }
}

export class RpcPeer {
  /** `port` is a Worker, the worker's global scope, or a MessagePort. */
  constructor(port, handlers = {}) {
    this.port = port;
    this.handlers = { ...handlers };
    this.pending = new Map();
    this.nextId = 1;
    this.failure = null;
    port.addEventListener("message", (event) => this.receive(event.data));
    port.start?.();
  }

  handle(method, handler) {
    this.handlers[method] = handler;
  }

  /** Ask the other side; resolves with its value, rejects with an RpcError carrying its message. */
  request(method, ...args) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.port.postMessage({ id, method, args });
    });
  }

  /** Tell the other side something; no answer comes back. */
  notify(method, ...args) {
    if (!this.failure) this.port.postMessage({ method, args });
  }

  /** The other side is gone (the worker failed to load or crashed): fail what waits, and what comes. */
  fail(error) {
    this.failure = error instanceof Error ? error : new RpcError(String(error));
    for (const { reject } of this.pending.values()) reject(this.failure);
    this.pending.clear();
  }

  async receive(message) {
    if (!message || typeof message !== "object") return;
    if ("ok" in message) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new RpcError(message.error?.message ?? "failed", message.error?.name));
      return;
    }
    const handler = this.handlers[message.method];
    if (message.id === undefined) {
      try { await handler?.(...(message.args || [])); } catch (error) { console.error(`${message.method} failed:`, error); }
      return;
    }
    try {
      if (!handler) throw new RpcError(`no handler for ${JSON.stringify(message.method)}`);
      const value = await handler(...(message.args || []));
      this.port.postMessage({ id: message.id, ok: true, value });
    } catch (error) {
      this.port.postMessage({
        id: message.id, ok: false,
        error: { name: error?.name || "Error", message: String(error?.message ?? error) },
      });
    }
  }
}
