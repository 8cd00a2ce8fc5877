// The lab phase of boot: open the Lab in the engine Worker, expose the API, mount the page.
// `window.evomachine.ready` resolves only after this, so the API is usable then.

import { LabBridge, publicApi } from "./bridge.mjs";
import { rememberedKey } from "./key-memory.mjs";
import { mountUI } from "./ui.mjs";

/** `options.storage` (from window.evomachineOptions) names a backend; null picks the best one. */
export async function startLab({ engine, base, api, options = {} }) {
  // A remembered key goes to the engine with the endpoint it was saved for, and is used only there.
  const saved = rememberedKey();
  const opened = await engine.open({
    storage: typeof options.storage === "string" ? options.storage : null,
    api_key: saved ? saved.key : null,
    key_endpoint: saved ? { provider: saved.provider, url: saved.url ?? null } : null,
  });
  api.labTimings = { import_ms: opened.import_ms, open_ms: opened.open_ms };
  const bridge = new LabBridge(engine, base, opened.page_api);
  Object.assign(api, publicApi(bridge));
  await mountUI(bridge);
  return bridge;
}
