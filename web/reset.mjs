// Reset: the way out that always works. The header's Reset button is wired here at boot, before
// the engine starts, so it works when boot fails too. It says what it deletes, then deletes it:
// the app's IndexedDB database and every localStorage entry of the app (the remembered API key,
// the editor draft, page preferences, and the localStorage fallback storage if it was used).
// Once the lab is up it registers a gentler reset (through the engine, which keeps the page
// running); if that fails, or there is no lab, the databases are deleted and the page reloads.

import { ask } from "./dialog.mjs";
import { DATABASE, LLM_KEY, LOCAL_PREFIX } from "./storage-keys.mjs";

export const DATABASES = [DATABASE];

let labReset = null;

/** The lab's reset (clear storage through the engine, keep the page); null when the lab is down. */
export function useLabReset(reset) {
  labReset = reset;
}

/** Every localStorage key of the app. */
export function localKeys() {
  try {
    const keys = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith(LOCAL_PREFIX)) keys.push(key);
    }
    return keys;
  } catch {
    return []; // storage disabled
  }
}

export function forgetLocal() {
  for (const key of localKeys()) {
    try { localStorage.removeItem(key); } catch { /* storage disabled */ }
  }
}

async function existingDatabases() {
  if (!indexedDB.databases) return DATABASES;
  try {
    const names = (await indexedDB.databases()).map((d) => d.name);
    return DATABASES.filter((name) => names.includes(name));
  } catch {
    return DATABASES;
  }
}

function deleteDatabase(name, onBlocked) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error || new Error(`could not delete ${name}`));
    request.onblocked = () => onBlocked(name);
  });
}

/** What Reset deletes, as lines for the confirmation. */
export async function describe() {
  const items = [];
  for (const name of await existingDatabases()) {
    items.push(`IndexedDB database “${name}”: machines, runs, versions, patterns and generated code`);
  }
  const keys = localKeys();
  const remembered = keys.includes(LLM_KEY);
  if (keys.length) {
    items.push(`${keys.length} localStorage entr${keys.length === 1 ? "y" : "ies"}` +
      `${remembered ? ", including the remembered API key" : ""} (editor draft, page settings)`);
  }
  if (!items.length) items.push("Nothing is stored yet.");
  return items;
}

/** Delete the databases and local entries of the app (no engine needed), then reload. */
export async function wipeAndReload(status = () => {}) {
  forgetLocal();
  for (const name of DATABASES) {
    await deleteDatabase(name, () => status(`Waiting for other EvoMachine tabs to let go of “${name}”: close them…`));
  }
  forgetLocal();
  location.reload();
}

/** Ask, then reset. Resolves to true when something was reset. */
export async function confirmAndReset(status = () => {}) {
  const items = await describe();
  const choice = await ask({
    title: "Reset EvoMachine in this browser?",
    lines: ["This deletes everything EvoMachine keeps in this browser. It cannot be undone: " +
      "export first if you want a copy."],
    items,
    choices: [
      { value: "cancel", label: "Cancel", id: "reset-cancel" },
      { value: "reset", label: "Delete everything", kind: "danger", id: "reset-confirm" },
    ],
    cancelValue: "cancel",
  });
  if (choice !== "reset") return false;
  if (labReset) {
    try {
      if ((await labReset()) === false) return false; // the lab said why it cannot now
      forgetLocal();
      return true;
    } catch (error) {
      console.error("reset through the engine failed; deleting the databases instead", error);
    }
  }
  await wipeAndReload(status);
  return true;
}

/** Wire the header's Reset button (once, at boot). */
export function wireResetButton(status) {
  const button = document.getElementById("reset-all");
  if (!button || button.dataset.wired) return;
  button.dataset.wired = "true";
  button.addEventListener("click", () => confirmAndReset(status).catch((error) => status(String(error))));
}
