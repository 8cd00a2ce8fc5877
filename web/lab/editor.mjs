// A light DSL editor: a textarea over a highlighted copy of its text, a line-number gutter,
// and error markers (gutter dot, underline, and a clickable problem list).

import { h } from "../dom.mjs";
import { highlightDsl, offsetOf } from "./highlight.mjs";

export class DslEditor {
  constructor(root, errorList, { onChange, onSubmit } = {}) {
    this.root = root;
    this.textarea = root.querySelector("textarea");
    this.code = root.querySelector(".highlight code");
    this.pre = root.querySelector(".highlight");
    this.gutter = root.querySelector(".gutter");
    this.errorList = errorList;
    this.errors = [];
    this.onChange = onChange;
    this.textarea.addEventListener("input", () => { this.render(); this.onChange?.(this.value); });
    this.textarea.addEventListener("scroll", () => this.syncScroll());
    this.textarea.addEventListener("keydown", (event) => this.keydown(event, onSubmit));
    this.render();
  }

  get value() { return this.textarea.value; }

  set value(text) {
    this.textarea.value = text;
    this.errors = [];
    this.render();
    this.renderErrors();
  }

  keydown(event, onSubmit) {
    // Tab stays focus navigation (keyboard users must be able to leave the editor).
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onSubmit?.(this.value);
    }
  }

  /** Show problems [{line, column, message}] in the text, the gutter and the list. */
  setErrors(errors) {
    this.errors = errors || [];
    this.render();
    this.renderErrors();
  }

  render() {
    const text = this.textarea.value;
    this.code.replaceChildren(highlightDsl(text, this.errors));
    const lines = text.split("\n").length;
    const bad = new Map();
    for (const e of this.errors) if (!bad.has(e.line)) bad.set(e.line, String(e.message));
    const numbers = document.createDocumentFragment();
    for (let i = 1; i <= lines; i += 1) {
      numbers.append(bad.has(i) ? h("div", { class: "has-error", title: bad.get(i) }, i) : h("div", {}, i));
    }
    this.gutter.replaceChildren(numbers);
    this.syncScroll();
  }

  renderErrors() {
    this.errorList.replaceChildren();
    for (const error of this.errors) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "error-link";
      button.textContent = `Line ${error.line}, column ${error.column}: ${error.message}`;
      button.addEventListener("click", () => this.reveal(error.line, error.column));
      item.append(button);
      this.errorList.append(item);
    }
  }

  /** Put the caret at line/column and scroll it into view. */
  reveal(line, column) {
    const offset = offsetOf(this.textarea.value, line, column);
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
    const lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight) || 20;
    const top = (line - 1) * lineHeight;
    if (top < this.textarea.scrollTop || top > this.textarea.scrollTop + this.textarea.clientHeight - lineHeight) {
      this.textarea.scrollTop = Math.max(0, top - this.textarea.clientHeight / 3);
    }
    this.syncScroll();
  }

  syncScroll() {
    const { scrollTop, scrollLeft } = this.textarea;
    this.pre.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.gutter.style.transform = `translateY(${-scrollTop}px)`;
  }
}
