// The Run panel: Step, Run N, Run until a stage, Pause (buttons and the S/R/U/P keys), the
// progress bar and status of the run, where the machine is, and its diagram.

import { renderDiagram } from "./diagram.mjs";
import { count, STAGE_NAMES } from "./format.mjs";
import { loadPrefs, savePrefs } from "./notify.mjs";

const $ = (id) => document.getElementById(id);
const RUN_BUTTONS = ["step-btn", "run-btn", "until-btn"];
const REASONS = { done: "Done", paused: "Paused", halted: "The data set is used up", reached: "Stage reached", error: "Stopped", no_llm: "No LLM" };

export class RunPanel {
  /** `onProgress()` is called as a run moves (the page refreshes what it shows, now and then). */
  constructor({ bridge, notify }, onProgress = () => {}) {
    this.bridge = bridge;
    this.notify = notify;
    this.onProgress = onProgress;
    const prefs = loadPrefs();
    $("run-count").value = prefs.runCount || 300;
    $("until-stage").value = prefs.untilStage || "hybrid";
    const remember = () => savePrefs({ runCount: Number($("run-count").value) || 300, untilStage: $("until-stage").value });
    $("run-count").addEventListener("change", remember);
    $("until-stage").addEventListener("change", remember);
    this.actions = {
      step: () => notify.guard(() => bridge.step(1)),
      run: () => notify.guard(() => bridge.run(Number($("run-count").value) || 300)),
      until: () => notify.guard(() => bridge.runUntil($("until-stage").value)),
      pause: () => bridge.pause(),
    };
    $("step-btn").addEventListener("click", this.actions.step);
    $("run-btn").addEventListener("click", this.actions.run);
    $("until-btn").addEventListener("click", this.actions.until);
    $("pause-btn").addEventListener("click", this.actions.pause);
    document.addEventListener("keydown", (event) => this.shortcut(event));
    bridge.addEventListener("run", (event) => this.follow(event.detail));
  }

  shortcut(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.composedPath()[0]; // inside the editor's shadow root, not its host
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) return;
    if ($("app-dialog")?.open) return; // a question is open: keys are its own
    const action = { s: "step", r: "run", u: "until", p: "pause" }[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    if (action !== "pause" && this.bridge.isRunning) return;
    this.actions[action]();
  }

  progress(fraction) {
    const percent = Math.max(0, Math.min(100, fraction * 100));
    document.querySelector(".run-progress").setAttribute("aria-valuenow", String(Math.round(percent)));
    $("run-fill").style.width = `${percent}%`;
  }

  busy(running) {
    RUN_BUTTONS.forEach((id) => { $(id).disabled = running; });
    $("pause-btn").disabled = !running;
  }

  follow(d) {
    if (d.phase === "start") {
      this.busy(true);
      this.progress(0);
      $("run-status").textContent = d.until ? `Running until a task reaches ${STAGE_NAMES[d.until]}…` : `Running ${count(d.total)} steps…`;
    }
    if (d.phase === "waiting") {
      this.busy(true);
      $("run-status").textContent = "Waiting for the run in another tab to finish…";
    }
    if (d.phase === "pausing") {
      $("pause-btn").disabled = true;
      $("run-status").textContent = "Pausing after the current step…";
    }
    if (d.phase === "progress") {
      this.progress(d.until ? Math.min(1, d.steps / Math.max(d.steps + 1, 3000)) : d.steps / d.total);
      $("run-rate").textContent = `${count(d.steps)} steps · ${count(Math.round(d.rate))} steps/s`;
      this.onProgress();
    }
    if (d.phase === "end") {
      this.busy(false);
      // The bar says how much of what was asked ran: full only when all of it did.
      if (d.until) { if (d.reason === "reached") this.progress(1); } else this.progress(d.total ? d.steps / d.total : 0);
      $("run-rate").textContent = `${count(d.steps)} steps · ${count(Math.round(d.steps_per_s))} steps/s`;
      const why = REASONS[d.reason] || d.reason;
      const cut = d.interrupted_node ? ` The step at ${d.interrupted_node} was waiting for the LLM; it was stopped and runs again on the next Run.` : "";
      $("run-status").textContent = `${why} after ${count(d.steps)} steps${d.error ? `: ${d.error}` : ""}.${cut}`;
    }
  }

  render(state) {
    $("diagram").replaceChildren(renderDiagram(state.machine, { current: state.current_node, stages: state.stages }));
    $("diagram").setAttribute("aria-label", state.loaded
      ? `Diagram of ${state.machine.title}: ${state.machine.nodes.length} nodes; current node ${state.current_node || "none (halted)"}` : "No machine loaded");
    $("run-position").textContent = !state.loaded ? "No machine loaded."
      : state.halted ? `Halted after ${count(state.step_count)} steps: the data set is used up.`
        : `${count(state.step_count)} steps so far · next node: ${state.current_node}`;
  }

  /** Another machine, or none: the last run's status and bar belong to the one before. */
  reset() {
    this.progress(0);
    $("run-rate").textContent = "—";
    $("run-status").textContent = "Idle";
  }
}
