// The LLM panel: provider and its fields, "Use these settings", and a status line that always
// says where requests (and the key) go.

const $ = (id) => document.getElementById(id);

export class LLMPanel {
  constructor({ bridge, notify }) {
    this.bridge = bridge;
    this.notify = notify;
    this.form = $("llm-form");
    // The base URL and model typed for each provider: switching keeps them apart (a newcomer's
    // tour: Anthropic's key went to the OpenAI-compatible URL the fields still held).
    this.typed = {};
    $("llm-provider").addEventListener("change", () => this.switchProvider());
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.apply(); });
    // Edits not yet applied: the fields keep them until applied, or until the settings in use
    // change another way (an import, another tab), wherever the focus goes meanwhile.
    this.edited = false;
    this.shownSettings = null;
    this.form.addEventListener("input", () => { this.edited = true; });
    this.form.addEventListener("change", () => { this.edited = true; });
  }

  /** The person picked another provider: the URL and model fields show what was typed for it
   * (empty at first), and the key field is emptied: a key belongs to one provider. */
  switchProvider() {
    const before = this.shownProvider;
    const now = $("llm-provider").value;
    if (before && before !== now) {
      this.typed[before] = { base_url: $("llm-base-url").value, model: $("llm-model").value };
      const kept = this.typed[now] || { base_url: "", model: "" };
      $("llm-base-url").value = kept.base_url;
      $("llm-model").value = kept.model;
      $("llm-key").value = "";
    }
    this.showProvider();
  }

  showProvider() {
    const provider = $("llm-provider").value;
    if (provider === this.shownProvider) return;
    this.shownProvider = provider;
    for (const group of this.form.querySelectorAll("[data-provider]")) {
      group.hidden = (group.dataset.provider === "simulated") !== (provider === "simulated");
      // A hidden field is not checked (its required value must not block the form unseen).
      for (const input of group.querySelectorAll("input")) input.disabled = group.hidden;
    }
    $("llm-base-url").placeholder = provider === "anthropic" ? "https://api.anthropic.com" : "http://localhost:11434/v1";
    // Anthropic's placeholder is the model used when the field is left empty (engine's
    // DEFAULT_MODELS); the OpenAI-compatible one is an example: such a provider needs a model.
    $("llm-model").placeholder = provider === "anthropic" ? "claude-haiku-4-5 (default)" : "e.g. llama3.2";
  }

  async apply() {
    const data = new FormData(this.form);
    const config = { provider: data.get("provider"), remember: $("llm-remember").checked,
      concurrency: Number(data.get("concurrency")) || 1 };
    if (config.provider === "simulated") {
      for (const k of ["accuracy", "latency_ms", "price_in", "price_out"]) config[k] = Number(data.get(k));
      config.wait = $("llm-wait").checked;
    } else {
      for (const k of ["base_url", "model", "api_key"]) if (data.get(k)) config[k] = String(data.get(k)).trim();
    }
    const result = await this.notify.guard(() => this.bridge.setLLM(config));
    if (result) {
      this.edited = false;
      $("llm-key").value = "";
      this.notify.say(result.ready ? `LLM settings in use${result.note ? ` (${result.note})` : ""}.` : result.error,
        result.ready ? "info" : "error");
    }
  }

  render(state) {
    const { llm } = state;
    if (!llm) return;
    // The fields follow the state unless the user is editing them; the status line always does.
    const settings = JSON.stringify(llm);
    if (settings !== this.shownSettings) this.edited = false; // changed another way: shown
    const editing = this.edited || (document.activeElement && this.form.contains(document.activeElement));
    if (!editing) {
      this.shownSettings = settings;
      // Written only where they differ: a run redraws this panel several times a second.
      const put = (id, value) => { if ($(id).value !== String(value)) $(id).value = value; };
      const tick = (id, value) => { if ($(id).checked !== value) $(id).checked = value; };
      put("llm-provider", llm.provider);
      put("llm-accuracy", llm.accuracy);
      put("llm-latency", llm.latency_ms);
      put("llm-price-in", llm.price_in);
      put("llm-price-out", llm.price_out);
      put("llm-base-url", llm.base_url || "");
      put("llm-model", llm.model || "");
      tick("llm-remember", !!llm.remember);
      tick("llm-wait", !!llm.wait);
      put("llm-concurrency", llm.concurrency || 1);
      this.showProvider();
    }
    const who = llm.provider === "simulated"
      ? `Simulated: ${Math.round(llm.accuracy * 100)}% accurate, ~${llm.latency_ms} ms, $${llm.price_in}/$${llm.price_out} per Mtok`
      : `${llm.provider === "anthropic" ? "Anthropic" : "OpenAI-compatible"} ${llm.model || ""} at ${llm.endpoint_url || "(no URL)"}` +
        `${llm.has_key ? " · key set" : " · no key"}${llm.has_key && llm.remember ? " (remembered)" : ""}`;
    const extra = [state.llm_error, state.llm_note].filter(Boolean).join("; ");
    const status = extra ? `${who} — ${extra}` : who;
    if ($("llm-status").textContent !== status) $("llm-status").textContent = status;
    $("llm-status").classList.toggle("bad", !!state.llm_error);
  }
}
