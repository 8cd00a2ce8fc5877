// Boots the engine from this origin only, showing each phase and its time. Pyodide and the engine
// run in a module Worker (web/engine-worker.mjs, driven through web/lab/engine.mjs): the page
// itself never loads Pyodide and never runs Python; the worker reports each phase as it ends.
// Exposes window.evomachine: { ready, version, bootTimings, manifest } for users' scripts and tests;
// the lab phase (web/lab/main.mjs) adds the automation API before `ready` resolves.
// window.evomachineOptions, when a script set it before boot, may name the storage backend
// ({storage: "indexeddb" | "localstorage" | "memory"}); by default the engine picks the best.
// The header's Reset is wired first of all, so it is the way out even when boot fails.
// index.html carries a hint for a page opened as a file (its modules never run there); this
// module removes it as it starts.

import { EngineClient } from "./lab/engine.mjs";
import { wireResetButton } from "./reset.mjs";

const phases = ["runtime", "packages", "engine", "lab"];
const bootTimings = {};

function setProgress(fraction) {
  const bar = document.querySelector(".progress");
  const fill = document.getElementById("boot-fill");
  const percent = Math.round(fraction * 100);
  if (bar) bar.setAttribute("aria-valuenow", String(percent));
  if (fill) fill.style.width = `${percent}%`;
}

function markPhase(name, state, ms) {
  const item = document.querySelector(`#boot-phases [data-phase="${name}"]`);
  if (!item) return;
  item.dataset.state = state;
  if (ms !== undefined) item.querySelector(".phase-time").textContent = `${(ms / 1000).toFixed(2)} s`;
}

async function timed(name, index, work) {
  markPhase(name, "running");
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  if (name === "lab") window.evomachine.labTiming = ms;  // bootTimings keeps the engine's phases
  else bootTimings[name] = ms;
  markPhase(name, "done", ms);
  setProgress((index + 1) / phases.length);
  return result;
}

function deferred() {
  const parts = {};
  parts.promise = new Promise((resolve, reject) => { parts.resolve = resolve; parts.reject = reject; });
  parts.promise.catch(() => {}); // a phase never reached rejects unobserved
  return parts;
}

function showError(error) {
  const box = document.getElementById("boot-error");
  const running = document.querySelector('#boot-phases [data-state="running"]');
  const phase = running ? running.dataset.phase : "boot";
  if (running) running.dataset.state = "failed";
  const message = String(error && error.message ? error.message : error);
  box.hidden = false;
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = `The ${phase} phase failed.`;
  const detail = document.createElement("pre");
  detail.textContent = message;
  const help = document.createElement("p");
  help.textContent =
    "Serve the page with 'python3 build.py serve' (it must come over http://, not file://), " +
    "then reload. If the error persists, rebuild with 'python3 build.py build' and check the " +
    "browser console. If it comes from what this browser has saved (for instance after an " +
    "import), Reset at the top right deletes EvoMachine's saved data here and reloads.";
  box.append(title, detail, help);
  offerReset();
}

/** Show the header's Reset alone: export and import need the engine, which did not start. */
function offerReset() {
  const tools = document.getElementById("topbar-tools");
  if (!tools) return;
  for (const id of ["export-all", "import-label", "storage-indicator"]) {
    const element = document.getElementById(id);
    if (element) element.hidden = true;
  }
  tools.hidden = false;
}

/** The engine stopped for good after boot (`stopped`), or reported an error of its own: a banner
 * says so. A stopped engine leaves the lab's controls inert (each could only fail) and offers
 * Reload; an error it reported can be dismissed. */
function showTrouble({ stopped, message }) {
  const box = document.getElementById("engine-trouble");
  if (!box || box.dataset.kind === "stopped") return;
  if (document.body.dataset.ready !== "true") return; // during boot the failed phase says it
  const title = document.createElement("strong");
  const detail = document.createElement("pre");
  detail.textContent = message;
  const help = document.createElement("p");
  const button = document.createElement("button");
  button.type = "button";
  if (stopped) {
    title.textContent = "The engine stopped and can no longer run.";
    help.textContent = "What it had saved stays in this browser; what a run did after its last " +
      "save (a few seconds) is lost. Reload the page to start the engine again.";
    button.textContent = "Reload page";
    button.addEventListener("click", () => location.reload());
    // Every control that needs the engine goes inert (Reset stays: it works without it), and
    // a question left open closes: its answer could only fail.
    const dialog = document.getElementById("app-dialog");
    if (dialog?.open) dialog.close();
    for (const id of ["lab", "problems", "report-download", "export-all", "import-label", "import-file"]) {
      document.getElementById(id)?.setAttribute("inert", "");
    }
    document.body.dataset.engine = "stopped";
  } else {
    title.textContent = "The engine reported an error.";
    help.textContent = "It may go on working. If the page stops answering, reload it.";
    button.textContent = "Dismiss";
    button.addEventListener("click", () => { box.hidden = true; });
  }
  box.dataset.kind = stopped ? "stopped" : "error";
  box.replaceChildren(title, detail, help, button);
  box.hidden = false;
  if (stopped) button.focus();
}

function bootStatus(message) {
  const box = document.getElementById("boot-error");
  const line = document.createElement("p");
  line.className = "reset-status";
  line.textContent = message;
  box.hidden = false;
  box.append(line);
}

async function boot() {
  const base = new URL(".", document.baseURI);
  const manifest = await fetch(new URL("manifest.json", base)).then((r) => {
    if (!r.ok) throw new Error(`manifest.json: HTTP ${r.status}; run 'python3 build.py' to build dist/`);
    return r.json();
  });
  // The worker says when each of its phases ends; each phase here runs from the end of the last.
  const ended = Object.fromEntries(phases.slice(0, 3).map((name) => [name, deferred()]));
  let engine = null;
  let booting = null;
  await timed("runtime", 0, () => {
    engine = new EngineClient(base, (name) => ended[name]?.resolve(), showTrouble);
    booting = engine.boot(base, manifest);
    booting.catch((error) => { for (const phase of Object.values(ended)) phase.reject(error); });
    return ended.runtime.promise;
  });
  await timed("packages", 1, () => ended.packages.promise);
  await timed("engine", 2, () => ended.engine.promise);
  const version = await booting;
  document.getElementById("boot-title").textContent = "Loading lab…";
  await timed("lab", 3, async () => {
    const { startLab } = await import(new URL("web/lab/main.mjs", base).href);
    await startLab({ engine, manifest, base, api: window.evomachine, options: window.evomachineOptions || {} });
  });
  Object.assign(window.evomachine, { version, manifest });
  document.getElementById("engine-version").textContent = `engine ${version}`;
  document.getElementById("boot-title").textContent = "Engine ready";
  document.body.dataset.ready = "true";
  return window.evomachine;
}

document.getElementById("serve-hint")?.remove(); // this module runs: the page is served
wireResetButton(bootStatus);
window.evomachine = { version: null, bootTimings };
window.evomachine.ready = boot().catch((error) => {
  showError(error);
  document.body.dataset.ready = "failed";
  throw error;
});
