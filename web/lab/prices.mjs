// Prices per model for real providers (Anthropic, OpenAI-compatible), inside the LLM panel: the
// table in use (list prices, dated, and yours over them) and a small form to set one model's
// price. A model the table does not know costs $0, so the panel says so and offers to price it.
// Prices apply to calls from then on; they are saved with the LLM settings.

import { fill, h } from "../dom.mjs";

const money = (v) => (Number.isFinite(v) ? `$${v.toFixed(v < 1 ? 3 : 2)}` : "—");

export class PricesPanel {
  constructor(bridge, notify, parent) {
    this.bridge = bridge;
    this.notify = notify;
    this.table = null;
    this.key = "";
    this.filled = null; // the model name the form was given (not typed): it follows the model in use
    // A price field is selected whole when entered (Tab or click), so typing replaces the
    // list price filled in from the table instead of appending to it ("0.5" is not "10.5").
    let entered = null;
    const number = (id, label) => [h("label", { htmlFor: id }, label),
      h("input", { id, type: "number", min: "0", max: "10000", step: "any", required: true, on: {
        focus: (event) => { entered = event.target; event.target.select(); },
        mouseup: (event) => { if (entered === event.target) event.preventDefault(); entered = null; },
      } })];
    this.note = h("p", { id: "prices-note", class: "small", "aria-live": "polite" });
    this.body = h("tbody", { id: "prices-body" });
    this.form = h("form", { id: "price-form", class: "form-grid price-form" },
      h("label", { htmlFor: "price-model" }, "Model"),
      h("input", { id: "price-model", type: "text", list: "price-models", autocomplete: "off", maxlength: "200", required: true,
        on: { change: () => this.fillFromTable() } }),
      h("datalist", { id: "price-models" }),
      ...number("price-in", "Input $ / M tokens"),
      ...number("price-out", "Output $ / M tokens"),
      h("div", { class: "inline" },
        h("button", { type: "submit", id: "price-save" }, "Set price"),
        h("button", { type: "button", id: "price-default", on: { click: () => this.backToList() } }, "Back to list price")));
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.save(); });
    this.section = h("div", { class: "prices", id: "prices" },
      h("h3", { id: "prices-title" }, "Prices per model"),
      this.note,
      h("div", { class: "prices-scroll" },
        h("table", { class: "versions prices-table", "aria-labelledby": "prices-title" },
          h("thead", {}, h("tr", {}, ["Model", "Input $/M", "Output $/M", "List price"].map((t) => h("th", { scope: "col" }, t)))),
          this.body)),
      this.form);
    parent.append(this.section);
  }

  /** Ask the engine for the table when the LLM settings changed (cheap otherwise). */
  async render(state) {
    const key = JSON.stringify(state.llm || {});
    if (key === this.key) return;
    this.key = key;
    const table = await this.bridge.prices().catch(() => null);
    if (table) this.show(table);
  }

  show(table) {
    this.table = table;
    const yours = table.rows.filter((r) => r.yours).length;
    let current = "";
    if (table.provider === "simulated") {
      current = `The simulated LLM charges its own price (LLM settings: ${money(table.simulated_price[0])} in, ${money(table.simulated_price[1])} out per million tokens). This table prices Anthropic and OpenAI-compatible models.`;
    } else if (!table.model_known) {
      current = `${table.model} is not in the table, so its calls cost $0 and no saving can be shown: set its price below.`;
    } else {
      current = `${table.model} costs ${money(table.model_price[0])} per million input tokens and ${money(table.model_price[1])} per million output tokens.`;
    }
    this.note.textContent = `${current} List prices as entered on ${table.as_of} (check your provider's page)` +
      `${yours ? `; ${yours} set by you` : ""}. A change applies to calls from then on.`;
    this.note.classList.toggle("bad", table.provider !== "simulated" && !table.model_known);
    fill(this.body, table.rows.map((r) => h("tr", { class: r.yours ? "head" : null, dataset: { model: r.model } },
      h("td", {}, r.model, r.yours ? [" ", h("span", { class: "pill" }, "yours")] : null),
      h("td", {}, money(r.input)), h("td", {}, money(r.output)),
      h("td", { class: "muted" }, r.default ? `${money(r.default[0])} / ${money(r.default[1])}` : "—"))));
    fill(this.form.querySelector("#price-models"), table.rows.map((r) => h("option", { value: r.model })));
    // The form offers the model in use, until the person names another one there.
    const model = this.form.querySelector("#price-model");
    if (table.model && (!model.value.trim() || model.value === this.filled)) {
      model.value = table.model;
      this.filled = table.model;
      this.fillFromTable();
    }
  }

  fillFromTable() {
    const name = this.form.querySelector("#price-model").value.trim();
    const row = this.table?.rows.find((r) => r.model === name);
    // The model in use may be priced by a row of another name (claude-haiku-4-5 by claude-haiku-4).
    const price = row ? [row.input, row.output]
      : name === this.table?.model && this.table.model_known ? this.table.model_price : ["", ""];
    this.form.querySelector("#price-in").value = price[0];
    this.form.querySelector("#price-out").value = price[1];
    // Leaving the Model field fills these as the focus enters one: select what was filled.
    const active = document.activeElement;
    if (active && (active.id === "price-in" || active.id === "price-out")) active.select();
  }

  /** The user's prices as {model: [in, out]}, the engine's table being the truth. */
  yours() {
    const out = {};
    for (const r of this.table?.rows || []) if (r.yours) out[r.model] = [r.input, r.output];
    return out;
  }

  async save() {
    const name = this.form.querySelector("#price-model").value.trim();
    const input = Number(this.form.querySelector("#price-in").value);
    const output = Number(this.form.querySelector("#price-out").value);
    if (!name) { this.notify.say("Name the model to price.", "error"); return; }
    const table = await this.notify.guard(() => this.bridge.setPrices({ ...this.yours(), [name]: [input, output] }));
    if (!table) return;
    this.show(table);
    this.notify.say(`${name} now costs $${input} / $${output} per million tokens (input / output).`);
  }

  async backToList() {
    const name = this.form.querySelector("#price-model").value.trim();
    const prices = this.yours();
    if (!(name in prices)) { this.notify.say(`${name || "That model"} has no price of yours to drop.`); return; }
    delete prices[name];
    const table = await this.notify.guard(() => this.bridge.setPrices(prices));
    if (!table) return;
    this.show(table);
    this.fillFromTable();
    this.notify.say(`${name} is back to ${table.rows.some((r) => r.model === name) ? "its list price" : "no price ($0)"}.`);
  }
}
