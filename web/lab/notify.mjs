// What every panel controller shares: the toast (Notifier) and the page's remembered settings.

import { UI_PREFS } from "../storage-keys.mjs";

const $ = (id) => document.getElementById(id);

export function loadPrefs() {
  try { return JSON.parse(localStorage.getItem(UI_PREFS) || "{}"); } catch { return {}; }
}

/** Merge `changes` into the remembered settings. */
export function savePrefs(changes) {
  try { localStorage.setItem(UI_PREFS, JSON.stringify({ ...loadPrefs(), ...changes })); } catch { /* private mode */ }
}

export class Notifier {
  constructor() { this.timer = null; }

  say(message, kind = "info") {
    const toast = $("toast");
    toast.textContent = message;
    toast.dataset.kind = kind;
    toast.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { toast.hidden = true; }, kind === "error" ? 9000 : 4000);
  }

  /** Hide the toast now if it still says `message` (what it said has been put right). */
  withdraw(message) {
    const toast = $("toast");
    if (toast.hidden || toast.textContent !== message) return;
    clearTimeout(this.timer);
    toast.hidden = true;
  }

  /** Run `work` now (not async); show its error instead of throwing. Its value, or null. */
  guardNow(work) {
    try {
      return work();
    } catch (error) {
      this.say(error.message || String(error), "error");
      return null;
    }
  }

  /** Run `work`; show its error instead of throwing. Resolves to its value or null. */
  async guard(work) {
    try {
      return await work();
    } catch (error) {
      this.say(error.message || String(error), "error");
      return null;
    }
  }
}
