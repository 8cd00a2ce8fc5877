// The lab page: one controller per panel, each wiring its own controls to the bridge and drawing
// its part of the state; this module builds them and redraws them all after every change.
//
//   header.mjs         Export, Import (and its question), storage indicator, damaged documents
//   run-panel.mjs      Step / Run / Run until / Pause, keys, progress, diagram
//   cards.mjs          one card per task (View code, Promote now)
//   machine-panel.mjs  editor, Load machine, examples, data file
//   llm-panel.mjs      provider settings and status; prices.mjs the price table
//   machines.mjs       the machines this browser keeps
//   panels.mjs         generated code, versions, patterns, activity; traces.mjs the traces

import { ask } from "../dialog.mjs";
import { fill, h } from "../dom.mjs";
import { useLabReset } from "../reset.mjs";
import { TaskCards } from "./cards.mjs";
import { STAGE_NAMES, STAGES, stageWords } from "./format.mjs";
import { HeaderTools, ProblemsBox } from "./header.mjs";
import { LLMPanel } from "./llm-panel.mjs";
import { MachinePanel } from "./machine-panel.mjs";
import { MachinesPanel } from "./machines.mjs";
import { Notifier, loadPrefs, savePrefs } from "./notify.mjs";
import { CodePanel, PatternsPanel, VersionsPanel, renderActivity } from "./panels.mjs";
import { PricesPanel } from "./prices.mjs";
import { RunPanel } from "./run-panel.mjs";
import { TracesPanel } from "./traces.mjs";

const $ = (id) => document.getElementById(id);
const REFRESH_DURING_RUN_MS = 350;
// Bridge changes that move the machine without a run of the Run panel (a load, a roll back, a
// step through the API, another machine): the last run's status no longer says where it is.
const MOVES = new Set(["load", "data", "loadData", "import", "rollback", "step", "repair",
  "switchMachine", "deleteMachine"]);

/** The next animation frame (or 100 ms, in a hidden tab, where frames stop). */
function nextFrame() {
  return new Promise((resolve) => {
    const late = setTimeout(resolve, 100);
    requestAnimationFrame(() => { clearTimeout(late); resolve(); });
  });
}

/** "Promote now" skips the evidence the error budget waits for: say what is skipped, then
 * ask. True to promote. */
async function confirmPromotion(task, state) {
  const stage = state?.stages?.[task];
  const next = STAGES[STAGES.indexOf(stage) + 1];
  if (!next) return true; // at the last stage: the engine says there is nothing to move to
  const waits = state?.tasks?.[task]?.why?.next_step || state?.metrics?.[task]?.next_step;
  const choice = await ask({
    title: `Move ${task} to ${STAGE_NAMES[next]} now?`,
    lines: [
      `The engine moves a task up by itself once the evidence is in${waits ? `; now: ${stageWords(waits)}` : ""}.`,
      `Moved by hand, ${task} goes to ${STAGE_NAMES[next]} without that evidence: its code answers at the confidence you set (0.8 when none), not within the error budget, until live checks decide.`,
    ],
    choices: [
      { value: false, label: "Cancel", id: "promote-cancel" },
      { value: true, label: `Move to ${STAGE_NAMES[next]}`, kind: "danger", id: "promote-confirm" },
    ],
    cancelValue: false,
  });
  return choice === true;
}

function startHere() {
  return h("div", { class: "panel empty" }, h("h2", {}, "Start here"),
    h("p", {}, "Pick an example in the Machine panel and press ", h("strong", {}, "Load example"),
      ", or write a machine in the editor and press ", h("strong", {}, "Load machine"),
      ". Then press ", h("strong", {}, "Run"), " and watch its tasks move from the LLM to generated code."));
}

export async function mountUI(bridge) {
  const notify = new Notifier();
  let state = null;
  let shownMachine;
  let lastRefresh = 0;
  let refreshing = null;
  let stale = false;
  let firstRender = true;
  const page = { bridge, notify, state: () => state };

  const header = new HeaderTools(page);
  const problems = new ProblemsBox(page);
  const run = new RunPanel(page, () => { if (performance.now() - lastRefresh > REFRESH_DURING_RUN_MS) refresh(); });
  const machine = new MachinePanel(page);
  const llm = new LLMPanel(page);
  const machines = new MachinesPanel(bridge, notify, () => machine.hasEdits());
  const codePanel = new CodePanel(bridge, notify);
  $("code-task").addEventListener("change", () => savePrefs({ codeTask: $("code-task").value }));
  const cards = new TaskCards($("tasks"), {
    showCode: async (task) => {
      await codePanel.show(task);
      savePrefs({ codeTask: task });
      // The keyboard goes where the view goes: Tab carries on from the code panel's heading.
      $("code-title").tabIndex = -1;
      $("code-title").focus({ preventScroll: true });
      $("code-title").scrollIntoView({ behavior: "smooth" });
    },
    evolve: async (task) => {
      if (!(await confirmPromotion(task, state))) return;
      const result = await notify.guard(() => bridge.evolve(task));
      if (result) notify.say(`${task} is now ${STAGE_NAMES[result.stage]}.`);
    },
  });
  const versions = new VersionsPanel(bridge, notify);
  const patterns = new PatternsPanel(bridge, notify);
  const traces = new TracesPanel(bridge, notify, document.querySelector(".code-panel"));
  const prices = new PricesPanel(bridge, notify, document.querySelector(".llm-panel"));

  // Reset is wired by the page (web/reset.mjs) so it works even when boot fails; with the lab up
  // it clears storage through the engine and the page carries on, showing nothing of before.
  useLabReset(async () => {
    // An import under way would write into what the reset deletes: say so, reset nothing.
    if (!notify.guardNow(() => bridge.refuseWhileBusy())) return false;
    await bridge.reset();
    run.reset();
    versions.clear();
    await machine.reset();
    notify.say("Everything was reset.");
  });

  /** Draw `next`, read when the bridge's last write was `writes`; a write asked for since makes
   * it stale (a switch, a load): drawing stops there, and refresh() reads and draws again. */
  async function render(next, writes) {
    const outdated = () => { if (bridge.writes === writes) return false; stale = true; return true; };
    state = next;
    const loaded = state.loaded ? "true" : "false";
    if (document.body.dataset.loaded !== loaded) document.body.dataset.loaded = loaded; // no restyle
    const id = state.loaded ? state.machine_id : null;
    if (shownMachine !== undefined && id !== shownMachine && !bridge.isRunning) {
      run.reset(); // another machine (or none): the last run's status was about the one before
      versions.clear();
    }
    shownMachine = id;
    // During a run the panels are drawn one animation frame each, so that redrawing them all
    // (charts, traces, the diagram) never holds the page for one long task: frames keep coming.
    const apart = bridge.isRunning;
    const panels = [
      () => machine.render(state, firstRender),
      () => { llm.render(state); problems.render(state); },
      () => run.render(state),
      () => {
        if (!state.loaded) {
          fill($("tasks"), startHere());
          cards.clear();
        } else {
          cards.render(state);
        }
      },
      () => versions.render(state),
      () => traces.render(state),
      () => { prices.render(state); renderActivity(state); },
    ];
    for (const draw of panels) {
      if (apart) await nextFrame();
      if (outdated()) return;
      draw();
    }
    firstRender = false;
    if (!bridge.isRunning && !outdated()) {
      const { codeTask } = loadPrefs();
      if (codeTask && state.tasks[codeTask]) $("code-task").value = codeTask;
      await codePanel.render(state);
      patterns.render(state);
      machines.render();
      header.renderStorage();
    }
  }

  /** Fetch the state and draw it; asked again while drawing, draw once more after (the last
   * change of a run must not be lost behind a drawing that started before it). */
  function refresh() {
    lastRefresh = performance.now();
    if (refreshing) {
      stale = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        stale = false;
        try {
          // A write asked for while the state was read (Open, a load) makes that state stale:
          // drawing it would ask the engine about tasks the write replaced, and show its errors.
          const writes = bridge.writes;
          const next = await bridge.state();
          if (bridge.writes !== writes) stale = true;
          else await render(next, writes);
        } catch (e) {
          console.error(e);
        }
      } while (stale);
    })().finally(() => { refreshing = null; });
    return refreshing;
  }

  bridge.addEventListener("waiting", () => notify.say(
    "Another tab is running this lab: your change waits for its run to end, then happens."));
  bridge.addEventListener("change", (event) => {
    if (MOVES.has(event.detail?.what) && !bridge.isRunning) run.reset();
    refresh();
  });

  await machine.init();
  await refresh();
  if (!state.loaded) await machine.showStart();
  $("boot").hidden = true;
  $("lab").hidden = false;
  if (!state.loaded) {
    // A first visit boots without pydantic and jinja2; load them while the user reads the page.
    const warm = () => bridge.call("warm").catch((e) => console.warn("warm-up failed", e));
    if (window.requestIdleCallback) requestIdleCallback(warm, { timeout: 1500 }); else setTimeout(warm, 300);
  }
  return { refresh };
}
