// The machines this browser keeps: a list (stage summary, steps, records, last run) with Open on
// each stored one and Delete on every one, and the question asked before a load would start a
// stored run again.

import { ask } from "../dialog.mjs";
import { fill, h, keepFocusNear, oneOf } from "../dom.mjs";
import { STAGE_NAMES, STAGES, count, steps, when } from "./format.mjs";

const $ = (id) => document.getElementById(id);

function stagesText(stages) {
  const names = Object.entries(stages || {});
  if (!names.length) return "no tasks";
  return names.map(([task, stage]) => `${task}: ${STAGE_NAMES[oneOf(stage, STAGES)] || "—"}`).join(", ");
}

export class MachinesPanel {
  /** `hasEdits()`: whether the editor holds edits not loaded (Open puts its own machine there). */
  constructor(bridge, notify, hasEdits = () => false) {
    this.bridge = bridge;
    this.notify = notify;
    this.key = null;
    $("machines-body").addEventListener("click", async (event) => {
      const remove = event.target.closest("button[data-delete-machine]");
      if (remove) {
        await this.deleteMachine(remove);
        return;
      }
      const button = event.target.closest("button[data-open-machine]");
      if (!button) return;
      const id = button.dataset.openMachine;
      if (hasEdits() && !(await keepEditsOrOpen(button.dataset.title || id))) return;
      const opened = await notify.guard(() => bridge.switchMachine(id));
      if (!opened) return;
      notify.say(`Opened ${opened.machine?.title || id} where it was left: ${steps(opened.step_count)}.`);
      keepFocusNear(button, $("machines-title"));
    });
  }

  /** Delete the row's machine after asking; the loaded one leaves nothing loaded. */
  async deleteMachine(button) {
    const id = button.dataset.deleteMachine;
    const title = button.dataset.title || id;
    const current = button.dataset.current === "true";
    const choice = await ask({
      title: `Delete ${title}?`,
      lines: [
        `Its run${current ? " (the machine loaded now)" : ""}, its learnt code, its charts, its saved versions and its data set are deleted from this browser.`,
        "Patterns saved from it stay in the library. Export first to keep a copy.",
      ],
      choices: [
        { value: false, label: "Cancel", id: "delete-machine-cancel" },
        { value: true, label: `Delete ${title}`, kind: "danger", id: "delete-machine-confirm" },
      ],
      cancelValue: false,
    });
    if (choice !== true) return;
    const gone = await this.notify.guard(() => this.bridge.deleteMachine(id));
    if (!gone) return;
    this.notify.say(`Deleted ${gone.title}${current ? "; nothing is loaded now" : ""}.`);
    $("machines-title").focus();
  }

  async render() {
    const machines = await this.bridge.machines().catch(() => null);
    if (!machines) return;
    const key = JSON.stringify(machines);
    if (key === this.key) return;
    this.key = key;
    const busy = this.bridge.isRunning;
    fill($("machines-body"), machines.length ? machines.map((m) => h("tr", { class: m.current ? "head" : null },
      h("th", { scope: "row" }, String(m.title), m.current ? [" ", h("span", { class: "pill" }, "loaded")] : null),
      h("td", { class: "stages" }, m.problem ? h("span", { class: "bad" }, `damaged: ${m.problem}`) : stagesText(m.stages)),
      h("td", { class: "num" }, count(m.step_count)),
      h("td", { class: "num records" }, count(m.records)),
      h("td", { class: "when" }, when(m.last_run_at)),
      h("td", { class: "row-actions" }, m.current || m.problem ? null : h("button", {
        type: "button", dataset: { openMachine: String(m.machine_id), title: String(m.title) }, disabled: busy,
        "aria-label": `Open machine ${m.title}`,
      }, "Open"), " ", h("button", {
        type: "button", class: "danger",
        dataset: { deleteMachine: String(m.machine_id), title: String(m.title), current: String(!!m.current) },
        disabled: busy, "aria-label": `Delete machine ${m.title}`,
      }, "Delete"))))
      : h("tr", {}, h("td", { colSpan: 6, class: "muted" }, "No machines yet: load an example or your own machine.")));
  }
}

/** The editor holds edits not loaded: Open puts the other machine's text there. Resolves true
 * to open all the same. */
async function keepEditsOrOpen(title) {
  const choice = await ask({
    title: `Open ${title}? Your edits are not loaded`,
    lines: [
      "The editor holds changes you have not loaded (Load machine or Ctrl+Enter loads them).",
      `Opening ${title} puts its machine in the editor in their place.`,
    ],
    choices: [
      { value: false, label: "Keep editing", id: "open-keep-edits" },
      { value: true, label: `Open ${title}, drop my edits`, kind: "danger", id: "open-drop-edits" },
    ],
    cancelValue: false,
  });
  return choice === true;
}

/**
 * Before a load: when it would start a stored run again, ask. Resolves true to go ahead.
 * `dsl` is the machine about to be loaded; `what` names the load ("Loading the example ...").
 */
export async function confirmReplace(bridge, dsl, what) {
  bridge.refuseWhileBusy(); // an import under way would replace it meanwhile: no question now
  const plan = await bridge.planLoad(dsl);
  if (!plan.replaces) return true;
  const r = plan.replaces;
  const choice = await ask({
    title: `Start ${r.title} again?`,
    lines: [
      `${what} starts machine “${r.title}” again from its first record: its run of ${steps(r.step_count)}, ` +
        "its learnt code and its charts are replaced.",
      "Its saved versions stay: save a version first to be able to come back to this point.",
    ],
    choices: [
      { value: false, label: "Cancel", id: "replace-cancel" },
      { value: true, label: `Start ${r.title} again`, kind: "danger", id: "replace-confirm" },
    ],
    cancelValue: false,
  });
  return choice === true;
}
