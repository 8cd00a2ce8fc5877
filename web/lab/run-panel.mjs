// The Run panel: Step, Run N, Run until a stage, Pause (buttons and the S/R/U/P keys), the
// progress bar and status of the run, where the machine is, and its diagram.

import { Diagram } from "./diagram.mjs";
import { STAGE_NAMES, count, counted, steps } from "./format.mjs";
import { loadPrefs, savePrefs } from "./notify.mjs";

const $ = (id) => document.getElementById(id);
/** Write `text` into `element` only when it differs (a same-text write still relayouts). */
const setText = (element, text) => { if (element.textContent !== text) element.textContent = text; };
const RUN_BUTTONS = ["step-btn", "run-btn", "until-btn"];
const WHAT = { step: "The step", run: "The run", until: "The run" };
const REASONS = { done: "Done", paused: "Paused", halted: "The data set is used up", reached: "Stage reached", error: "Stopped", no_llm: "No LLM", no_data: "No data set" };

export class RunPanel {
  /** `onProgress()` is called as a run moves (the page refreshes what it shows, now and then). */
  constructor({ bridge, notify }, onProgress = () => {}) {
    this.bridge = bridge;
    this.notify = notify;
    this.onProgress = onProgress;
    this.pendingProgress = null;
    this.diagram = new Diagram($("diagram"));
    const prefs = loadPrefs();
    $("run-count").value = prefs.runCount || 300;
    $("until-stage").value = prefs.untilStage || "hybrid";
    const remember = () => savePrefs({ runCount: Number($("run-count").value) || 300, untilStage: $("until-stage").value });
    $("run-count").addEventListener("change", remember);
    $("until-stage").addEventListener("change", remember);
    this.actions = {
      // A run of one step: it says so, waits visibly for another tab's run, and Pause stops it.
      step: () => notify.guard(() => bridge.run(1)),
      run: () => notify.guard(() => bridge.run(Number($("run-count").value) || 300)),
      until: () => notify.guard(() => bridge.runUntil($("until-stage").value)),
      pause: () => {
        // Pause asked: Run can be pressed again at once (it starts once this run is saved).
        if (bridge.isRunning && !this.queued) { this.busy(false); $("pause-btn").disabled = true; }
        return bridge.pause();
      },
    };
    this.queued = false; // the action asked while the last run ends (see request)
    this.ended = "";    // what the last run's end said
    $("step-btn").addEventListener("click", () => this.request("step"));
    $("run-btn").addEventListener("click", () => this.request("run"));
    $("until-btn").addEventListener("click", () => this.request("until"));
    $("pause-btn").addEventListener("click", this.actions.pause);
    document.addEventListener("keydown", (event) => this.shortcut(event));
    bridge.addEventListener("run", (event) => this.follow(event.detail));
  }

  shortcut(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.body.dataset.engine === "stopped") return; // nothing could run: Reload says so
    const target = event.composedPath()[0]; // inside the editor's shadow root, not its host
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) return;
    if ($("app-dialog")?.open) return; // a question is open: keys are its own
    const action = { s: "step", r: "run", u: "until", p: "pause" }[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    if (action === "pause") this.actions.pause();
    else if (!this.bridge.isRunning || this.bridge.isStopping) this.request(action);
  }

  /**
   * Step, Run or Run until. Asked while the last run is pausing, or has stopped and still saves
   * its work (right after "Paused"), it is not lost: it starts once that run has ended (the
   * bridge waits for it), and meanwhile the page says so with the buttons disabled.
   */
  async request(name) {
    if (this.queued) return null;
    if (name === "run" && !this.countValid()) return null;
    if (!this.bridge.isStopping) {
      // A run is the page's from the click on: Pause works while it waits for the engine.
      this.busy(true);
      try {
        return await this.actions[name]();
      } finally {
        if (!this.bridge.isRunning && !this.queued) this.busy(false);
      }
    }
    this.queued = name;
    this.busy(true);
    $("pause-btn").disabled = true;
    $("run-status").textContent = this.bridge.isSaving
      ? `${this.ended} ${this.queuedText()}` : `Pausing after the current step… ${this.queuedText()}`;
    try {
      return await this.actions[name]();
    } finally {
      if (this.queued === name) { // it never started a run (it failed): undo the wait
        this.queued = false;
        if (!this.bridge.isRunning) this.busy(false);
        if ($("run-status").textContent.endsWith(this.queuedText(name))) $("run-status").textContent = this.ended;
      }
    }
  }

  /** The Steps field holds a count Run can run (whole, 1 to its max); else say so and focus it. */
  countValid() {
    const field = $("run-count");
    if (field.checkValidity()) return true;
    $("run-status").textContent = `Steps must be a whole number from 1 to ${count(Number(field.max))}.`;
    field.reportValidity();
    return false;
  }

  queuedText(name = this.queued) {
    return `${WHAT[name]} starts once the last run is saved…`;
  }

  progress(fraction) {
    const percent = Math.max(0, Math.min(100, fraction * 100));
    const bar = document.querySelector(".run-progress");
    if (bar.getAttribute("aria-valuenow") !== String(Math.round(percent))) bar.setAttribute("aria-valuenow", String(Math.round(percent)));
    // A transform, not a width: the compositor moves the bar, the page is not laid out again.
    $("run-fill").style.transform = `scaleX(${percent / 100})`;
  }

  /** Show a run's progress once per animation frame, the latest only (a chunk ends every ~30 ms). */
  showProgress(d) {
    const first = !this.pendingProgress;
    this.pendingProgress = d;
    if (!first) return;
    requestAnimationFrame(() => {
      const latest = this.pendingProgress;
      this.pendingProgress = null;
      if (!latest || !this.bridge.isRunning) return; // the run ended meanwhile: its end is shown
      this.progress(latest.until ? Math.min(1, latest.steps / Math.max(latest.steps + 1, 3000)) : latest.steps / latest.total);
      setText($("run-rate"), `${steps(latest.steps)} · ${count(Math.round(latest.rate))} steps/s`);
    });
  }

  busy(running) {
    RUN_BUTTONS.forEach((id) => { $(id).disabled = running; });
    $("pause-btn").disabled = !running;
  }

  follow(d) {
    if (d.phase === "start") {
      this.queued = false; // the run asked for has started: it ends as any run does
      this.busy(true);
      this.progress(0);
      $("run-status").textContent = d.until ? `Running until a task reaches ${STAGE_NAMES[d.until]}…` : `Running ${steps(d.total)}…`;
      $("run-status").classList.remove("bad");
    }
    if (d.phase === "waiting") {
      this.busy(true);
      $("run-status").textContent = "Waiting for the run in another tab to finish…";
    }
    if (d.phase === "pausing") {
      $("pause-btn").disabled = true;
      $("run-status").textContent = `Pausing after the current step…${this.queued ? ` ${this.queuedText()}` : ""}`;
    }
    if (d.phase === "progress") {
      this.showProgress(d);
      this.onProgress();
    }
    if (d.phase === "end") {
      this.pendingProgress = null;
      if (!this.queued) this.busy(false); // else the asked run starts once this one is saved
      // The bar says how much of what was asked ran: full only when all of it did.
      if (d.until) { if (d.reason === "reached") this.progress(1); } else this.progress(d.total ? d.steps / d.total : 0);
      $("run-rate").textContent = `${steps(d.steps)} · ${count(Math.round(d.steps_per_s))} steps/s`;
      const why = REASONS[d.reason] || d.reason;
      const cut = d.interrupted_node ? ` The step at ${d.interrupted_node} was waiting for the LLM; it was stopped and runs again on the next Run.` : "";
      const at = d.reached ? `${d.reached} is at ${STAGE_NAMES[d.stages[d.reached]] || d.stages[d.reached]}` : "";
      // Failed executions do not stop a run (the machine moves on): say how many, and the last.
      const failed = d.failed ? ` ${counted(d.failed, "task execution")} failed; the last, ${d.last_failure}` : "";
      this.ended = d.reason === "reached" && !d.steps ? `${why} already: ${at}; nothing ran.`
        : d.reason === "no_data" ? "Nothing ran: no data set is loaded; choose one under “Data set”."
        : `${why} after ${steps(d.steps)}${d.error ? `: ${d.error.replace(/[.\s]+$/, "")}` : ""}${at ? `: ${at}` : ""}.${cut}${failed}`;
      $("run-status").textContent = this.queued ? `${this.ended} ${this.queuedText()}` : this.ended;
      $("run-status").classList.toggle("bad", Boolean(d.failed));
    }
  }

  render(state) {
    this.diagram.show(state.machine, { current: state.current_node, stages: state.stages });
    const label = state.loaded
      ? `Diagram of ${state.machine.title}: ${state.machine.nodes.length} nodes; current node ${state.current_node || "none (halted)"}` : "No machine loaded";
    if ($("diagram").getAttribute("aria-label") !== label) $("diagram").setAttribute("aria-label", label);
    setText($("run-position"), !state.loaded ? "No machine loaded."
      : !state.dataset?.count ? "No data loaded: nothing to run yet."
      : state.halted ? `Halted after ${steps(state.step_count)}: the data set is used up (another data set starts the machine again).`
        : `${steps(state.step_count)} so far · next node: ${state.current_node}`);
  }

  /** Another machine, or the machine moved without a run: the last run's status and bar
   * belong to what came before. */
  reset() {
    this.progress(0);
    $("run-rate").textContent = "—";
    $("run-status").textContent = "Idle";
    $("run-status").classList.remove("bad");
  }
}
