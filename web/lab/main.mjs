// The lab phase of boot: import the Python bridge, reopen the saved session, expose the API,
// mount the page. `window.evomachine.ready` resolves only after this, so the API is usable then.

import { LabBridge, publicApi, rememberedKey } from "./bridge.mjs";
import { mountUI } from "./ui.mjs";

export async function startLab({ pyodide, base, api }) {
  const started = performance.now();
  const module = pyodide.pyimport("evomachine.app");
  const imported = performance.now();
  // A remembered key goes to Python with the endpoint it was saved for, and is used only there.
  const saved = rememberedKey();
  const lab = await module.Lab.open_json(JSON.stringify({
    storage: null, api_key: saved ? saved.key : null,
    key_endpoint: saved ? { provider: saved.provider, url: saved.url ?? null } : null,
  }));
  module.destroy?.();
  const bridge = new LabBridge(lab, base);
  Object.assign(api, publicApi(bridge));
  api.labTimings = { import_ms: imported - started, open_ms: performance.now() - imported };
  await mountUI(bridge);
  return bridge;
}
