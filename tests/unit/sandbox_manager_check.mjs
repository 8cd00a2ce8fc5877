// Drives web/sandbox/manager.mjs against a stand-in Worker (no Pyodide) and prints what it
// counted as JSON; tests/unit/test_sandbox_manager.py runs it under Node. The stand-in answers
// at once, except an input {hang: true}, which it never answers (the manager's deadline kills
// it; each input done before it is reported with its answer, as the real worker does), an
// input {ticks: n}, for which it reports n inputs done (more than it was sent), and
// the code "garbage", whose load it answers with text that is not JSON, and an input
// {bloat: true}, after which it reports a heap past the manager's retire mark; the load of
// the code "hang" it never answers.

const created = [];

class FakeWorker {
  constructor() {
    this.terminated = false;
    this.modules = new Set();
    created.push(this);
  }

  reply(data) {
    setTimeout(() => { if (!this.terminated && this.onmessage) this.onmessage({ data }); }, 0);
  }

  postMessage(message) {
    const { id, op } = message;
    if (this.hung) return undefined;  // busy for ever, like a worker stuck in one C call
    if (op === "boot") return this.reply({ id, text: "{}" });
    if (op === "load" && message.code === "garbage") return this.reply({ id, text: "\u201a/not json" });
    if (op === "load" && message.code === "hang") {  // a module body stuck in one C call
      this.hung = true;
      return undefined;
    }
    if (op === "load") {
      this.modules.add(message.key);
      return this.reply({ id, text: JSON.stringify({ ok: true }) });
    }
    if (op === "unload") {
      this.modules.delete(message.key);
      return this.reply({ id, text: "{}" });
    }
    if (op === "execute_many") {
      const inputs = JSON.parse(message.inputs);
      const results = [];
      for (const [index, input] of inputs.entries()) {
        if (index) this.reply({ id, tick: true, done: JSON.stringify(results[index - 1]) });
        if (input.hang) {  // hangs: no answer, ever
          this.hung = true;
          return undefined;
        }
        for (let i = 0; i < (input.ticks || 0); i++) this.reply({ id, tick: true });
        if (input.bloat) this.heap = 400 * 2 ** 20;  // its heap grew past the retire mark
        if (input.slow) this.ms = (this.ms || 0) + input.slow;  // the time it says it took
        results.push({ ok: true, value: { output: input.text, confidence: 1, metadata: {} } });
      }
      const ms = this.ms || 0;
      this.ms = 0;
      return this.reply({ id, text: JSON.stringify({ ok: true, results }), heap: this.heap || 0, ms });
    }
    return this.reply({ id, fatal: `unknown ${op}` });
  }

  terminate() { this.terminated = true; }
}

globalThis.Worker = FakeWorker;
const { SandboxManager } = await import(process.argv[2]);
const manager = new SandboxManager({ base: "http://127.0.0.1/", manifest: { wheels: [] },
                                     deadlineMs: Number(process.argv[3]) });
const ask = async (key, inputs) => JSON.parse(await manager.executeMany(key, JSON.stringify(inputs), "{}"));
const counts = () => ({ workers: created.length, restarts: manager.restarts });
const out = {};

await manager.load("good", "code", "good.py", "");
await manager.load("bad", "code", "bad.py", "");
out.first = await ask("good", [{ text: "a" }, { text: "b" }]);
out.started = counts();
// bad hangs on its second input while good's call waits in the queue behind it
const [killed, queued] = await Promise.all([ask("bad", [{ text: "x" }, { text: "w" }, { hang: true }]),
                                            ask("good", [{ text: "c" }])]);
out.killed = killed;
out.queued = queued;
out.afterKill = counts();
out.again = [];
for (let i = 0; i < 5; i++) out.again.push(await ask("bad", [{ text: "y" }]));
out.afterAgain = counts();
out.good = await ask("good", [{ text: "d" }]);  // an innocent module: reloaded, answers
out.afterGood = counts();
await manager.load("bad", "code", "bad.py", "");  // a new load runs it again
out.reloaded = await ask("bad", [{ text: "z" }]);
out.tooManyTicks = await ask("good", [{ text: "e", ticks: 3 }, { text: "f" }]);
out.garbage = JSON.parse(await manager.load("junk", "garbage", "junk.py", ""));
out.end = counts();
await manager.load("fat", "code", "fat.py", "");
out.bloated = await ask("fat", [{ text: "g", bloat: true }]);
out.fatAgain = await ask("fat", [{ text: "h" }]);
out.afterBloat = { ...counts(), described: JSON.parse(manager.describe()) };
await manager.load("fine", "code", "fine.py", "");
out.goodAfterBloat = await ask("fine", [{ text: "i" }]);  // the next worker answers
// slow: three inputs at 100 ms (as the worker reports its time), then one more call
await manager.load("slow", "code", "slow.py", "");
out.slowFirst = await ask("slow", [{ text: "j", slow: 100 }, { text: "k", slow: 100 }]);
out.slowThen = await ask("slow", [{ text: "l", slow: 100 }, { text: "m" }]);  // 4 inputs, 75 ms each
out.slowAfter = await ask("slow", [{ text: "n" }]);
out.slowStillInWorker = created.at(-1).modules.has("slow");
out.quick = [];
for (let i = 0; i < 20; i++) out.quick.push(await ask("fine", [{ text: "o", slow: 1 }]));
out.slowEnd = counts();
out.hungLoad = JSON.parse(await manager.load("stuck", "hang", "stuck.py", ""));
await manager.load("slower", "code", "slower.py", "");
out.slowerFirst = await ask("slower", [{ text: "q", slow: 250 }]);  // past 4 x 50 ms at once
out.slowerThen = await ask("slower", [{ text: "r" }]);
await manager.load("slow", "code", "slow.py", "");  // loaded again: its count starts over
out.slowReloaded = await ask("slow", [{ text: "p" }]);
console.log(JSON.stringify(out));
process.exit(0);
