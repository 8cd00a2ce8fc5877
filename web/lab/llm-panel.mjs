// The LLM panel: provider and its fields, "Use these settings", and a status line that always
// says where requests (and the key) go.

const $ = (id) => document.getElementById(id);

export class LLMPanel {
  constructor({ bridge, notify }) {
    this.bridge = bridge;
    this.notify = notify;
    this.form = $("llm-form");
    $("llm-provider").addEventListener("change", () => this.showProvider());
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.apply(); });
  }

  showProvider() {
    const provider = $("llm-provider").value;
    this.form.querySelector('[data-provider="simulated"]').hidden = provider !== "simulated";
    this.form.querySelector('[data-provider="http"]').hidden = provider === "simulated";
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
      $("llm-key").value = "";
      this.notify.say(result.ready ? `LLM settings in use${result.note ? ` (${result.note})` : ""}.` : result.error,
        result.ready ? "info" : "error");
    }
  }

  render(state) {
    const { llm } = state;
    if (!llm) return;
    // The fields follow the state unless the user is editing them; the status line always does.
    if (!(document.activeElement && this.form.contains(document.activeElement))) {
      $("llm-provider").value = llm.provider;
      $("llm-accuracy").value = llm.accuracy;
      $("llm-latency").value = llm.latency_ms;
      $("llm-price-in").value = llm.price_in;
      $("llm-price-out").value = llm.price_out;
      $("llm-base-url").value = llm.base_url || "";
      $("llm-model").value = llm.model || "";
      $("llm-remember").checked = !!llm.remember;
      $("llm-wait").checked = !!llm.wait;
      $("llm-concurrency").value = llm.concurrency || 1;
      this.showProvider();
    }
    const who = llm.provider === "simulated"
      ? `Simulated: ${Math.round(llm.accuracy * 100)}% accurate, ~${llm.latency_ms} ms, $${llm.price_in}/$${llm.price_out} per Mtok`
      : `${llm.provider === "anthropic" ? "Anthropic" : "OpenAI-compatible"} ${llm.model || ""} at ${llm.endpoint_url || "(no URL)"}` +
        `${llm.has_key ? " · key set" : " · no key"}${llm.has_key && llm.remember ? " (remembered)" : ""}`;
    const extra = [state.llm_error, state.llm_note].filter(Boolean).join("; ");
    $("llm-status").textContent = extra ? `${who} — ${extra}` : who;
    $("llm-status").classList.toggle("bad", !!state.llm_error);
  }
}
