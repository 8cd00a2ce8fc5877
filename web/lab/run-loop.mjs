// Runs in chunks: the page asks the engine for a few steps or ~30 ms at a time, says how the
// run goes ("run" events: start, waiting, progress, pausing, end), saves its progress every few
// seconds, and stops between chunks on Pause (and tells the chunk under way in the engine
// Worker to stop after its current step). A mixin of LabBridge, whose call, shared, lockBusy,
// emit, refuseWhileBusy and lab it uses; kept apart as one concern of its own.

import { LabError } from "./errors.mjs";

const CHUNK_STEPS = 2000;
const CHUNK_BUDGET_MS = 30;
const PERSIST_EVERY_MS = 3000;

const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldToBrowser() {
  return new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });
}

/** `Base` with the run loop: runLoop, runChunks, pause, stop and the run's state. */
export const RunLoop = (Base) => class extends Base {
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
};
