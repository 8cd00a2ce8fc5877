// The remembered API key: {provider, url, key} in localStorage under LLM_KEY, only when the
// user ticked "remember". It is bound to the endpoint (provider and URL) it was entered for, and
// the lab hands it to the engine with that endpoint only. Never in IndexedDB, never exported.

import { LLM_KEY } from "../storage-keys.mjs";

/** The remembered key {provider, url, key}, or null. */
export function rememberedKey() {
  try {
    const saved = JSON.parse(localStorage.getItem(LLM_KEY) || "null");
    return saved && typeof saved.key === "string" && typeof saved.provider === "string" ? saved : null;
  } catch { return null; }
}

function forgetKey() {
  try { localStorage.removeItem(LLM_KEY); } catch { /* storage disabled */ }
}

/** After settings were applied (`llm`: the engine's answer): remember the key with its
 * endpoint, or forget it. */
export function rememberKey(settings, llm) {
  try {
    if (settings.provider === "simulated" || !settings.remember) forgetKey();
    else if (settings.api_key && llm && llm.endpoint_url) {
      localStorage.setItem(LLM_KEY, JSON.stringify({ provider: llm.provider, url: llm.endpoint_url, key: settings.api_key }));
    }
  } catch { /* storage disabled: the key lasts this session only */ }
}

/** An import whose endpoint the user agreed to send the key to (`llm`: the engine's settings
 * after it): the remembered key moves to that endpoint. */
export function moveRememberedKey(llm) {
  const saved = rememberedKey();
  if (!saved || !llm.has_key || !llm.endpoint_url) return;
  try {
    localStorage.setItem(LLM_KEY, JSON.stringify({ ...saved, provider: llm.provider, url: llm.endpoint_url }));
  } catch { /* storage disabled */ }
}
