// One modal question at a time, in the page's own <dialog id="app-dialog"> (never window.confirm):
// a title, lines of text, an optional list (what will be deleted, which URL), and a row of buttons.
// Everything is set as text. Escape or closing the dialog answers with the safe choice.

import { fill, h } from "./dom.mjs";

let pending = Promise.resolve();

/**
 * Ask, and resolve to the `value` of the button pressed (or `cancelValue` on Escape).
 * choices: [{value, label, kind: "primary" | "danger" | undefined, id}]; the first is focused.
 */
export function ask({ title, lines = [], items = [], choices, cancelValue = null }) {
  const next = pending.then(() => show({ title, lines, items, choices, cancelValue }));
  pending = next.catch(() => {});
  return next;
}

function show({ title, lines, items, choices, cancelValue }) {
  const dialog = document.getElementById("app-dialog");
  return new Promise((resolve) => {
    let answered = false;
    const answer = (value) => {
      if (answered) return;
      answered = true;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const buttons = choices.map((choice) => h("button", {
      type: "button", id: choice.id || null, class: choice.kind || null, dataset: { choice: choice.value },
      on: { click: () => answer(choice.value) },
    }, choice.label));
    fill(dialog,
      h("h2", { id: "app-dialog-title" }, title),
      lines.map((line) => h("p", {}, line)),
      items.length ? h("ul", { class: "dialog-items" }, items.map((item) => h("li", {}, item))) : null,
      h("div", { class: "dialog-actions" }, buttons));
    dialog.setAttribute("aria-labelledby", "app-dialog-title");
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); answer(cancelValue); }, { once: true });
    dialog.addEventListener("close", () => answer(cancelValue), { once: true });
    dialog.showModal();
    buttons[0]?.focus();
  });
}
