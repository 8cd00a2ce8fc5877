// The DSL editor: CodeMirror 6 (web/editor/) behind the small API the lab uses: `value`,
// `setErrors`, `reveal`, and `onChange`/`onSubmit` callbacks. Problems from the engine's parser
// are lint markers at their line and column (underline and gutter) and a clickable list below.

import { isolateHistory } from "@codemirror/commands";
import { setDiagnostics } from "@codemirror/lint";
import { EditorSelection } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { toDiagnostics } from "../editor/diagnostics.mjs";
import { mountView } from "../editor/view.mjs";

/** Quiet time after the last edit before `onChange` runs (it reads the whole text). */
const SETTLE_MS = 200;
/** At most this many problems are listed under the editor. */
const MAX_LISTED = 100;

export class DslEditor {
  constructor(root, errorList, { onChange, onSubmit } = {}) {
    this.root = root;
    this.errorList = errorList;
    this.errors = [];
    this.names = { nodes: [], attributes: [] };
    this.onChange = onChange;
    this.settle = null;
    this.text = { doc: null, value: "" };
    const mounted = mountView(root, "dsl", {
      doc: "",
      label: "Machine definition (DSL)",
      onSubmit: () => { this.flush(); onSubmit?.(this.value); },
      onDocChanged: () => this.changed(),
      vocabulary: () => this.names,
    });
    this.view = mounted.view;
    this.host = mounted.host;
    this.makeState = mounted.makeState;
  }

  /** The whole text (made once per document version: a 7 MB machine is not joined per call). */
  get value() {
    const { doc } = this.view.state;
    if (this.text.doc !== doc) this.text = { doc, value: doc.toString() };
    return this.text.value;
  }

  /** Replace the text: a new document with its own undo history and no markers. */
  set value(text) {
    clearTimeout(this.settle);
    this.settle = null;
    this.view.setState(this.makeState(String(text ?? "")));
    this.errors = [];
    this.renderErrors();
  }

  /** Replace the text as one edit that Ctrl+Z undoes (the text before comes back), caret at
   * the top and no markers; `onChange` does not run (it is not the person's edit). */
  replace(text) {
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: String(text ?? "") },
      selection: EditorSelection.cursor(0),
      effects: EditorView.scrollIntoView(0),
      annotations: isolateHistory.of("full"), // not joined with the typing just before it
    });
    clearTimeout(this.settle);
    this.settle = null;
    this.setErrors([]);
  }

  changed() {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.flush(), SETTLE_MS);
  }

  /** Run a pending `onChange` now. */
  flush() {
    if (this.settle === null) return;
    clearTimeout(this.settle);
    this.settle = null;
    this.onChange?.(this.value);
  }

  /**
   * Show problems [{line, column, message}] as markers and in the list, then the check's
   * warnings (attributes that do nothing; the machine still loads). `result` (a check result,
   * optional) also brings the engine's names for completion, `names: {nodes, attributes}`
   * (nodes only when the machine parsed: a broken text keeps the last ones).
   */
  setErrors(errors, result = null) {
    const warnings = (result?.warnings || []).map((w) => ({ ...w, severity: "warning" }));
    this.errors = [...(errors || []), ...warnings];
    if (result) this.learnNames(result);
    const { state } = this.view;
    this.view.dispatch(setDiagnostics(state, toDiagnostics(state.doc, this.errors)));
    this.renderErrors();
  }

  learnNames(result) {
    const nodes = result.names?.nodes;
    if (result.ok && Array.isArray(nodes)) this.names = { ...this.names, nodes: nodes.map(String) };
    const attributes = result.names?.attributes;
    if (Array.isArray(attributes)) this.names = { ...this.names, attributes: attributes.map(String) };
  }

  renderErrors() {
    this.errorList.replaceChildren();
    for (const error of this.errors.slice(0, MAX_LISTED)) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = error.severity === "warning" ? "error-link warning-link" : "error-link";
      const kind = error.severity === "warning" ? "Warning: l" : "L";
      button.textContent = `${kind}ine ${error.line}, column ${error.column}: ${error.message}`;
      button.addEventListener("click", () => this.reveal(error.line, error.column));
      item.append(button);
      this.errorList.append(item);
    }
    if (this.errors.length > MAX_LISTED) {
      const more = document.createElement("li");
      more.className = "muted small";
      more.textContent = `… and ${this.errors.length - MAX_LISTED} more`;
      this.errorList.append(more);
    }
  }

  /** Put the caret at 1-based line/column, scroll it into view and focus the editor. */
  reveal(line, column) {
    const [diagnostic] = toDiagnostics(this.view.state.doc, [{ line, column, message: "" }]);
    const at = diagnostic ? diagnostic.from : 0;
    this.view.dispatch({
      selection: EditorSelection.cursor(at),
      effects: EditorView.scrollIntoView(at, { y: "center" }),
    });
    this.view.focus();
  }
}

/**
 * `fn` (async, one argument) run one call at a time, latest wins: while a call runs, only the
 * newest argument waits for its turn (a waiting call that is superseded gets the newer call's
 * result), and a call with the argument already running shares that run. The lab checks the
 * text through it, so edits to a huge machine queue one parse in the engine, not one per pause.
 */
export function latestOnly(fn) {
  let running = null;
  let waiting = null;
  const start = (arg) => {
    const promise = Promise.resolve().then(() => fn(arg));
    running = { arg, promise };
    const next = () => {
      running = null;
      if (!waiting) return;
      const turn = waiting;
      waiting = null;
      start(turn.arg).then(turn.resolve, turn.reject);
    };
    promise.then(next, next);
    return promise;
  };
  return (arg) => {
    if (running && running.arg === arg) return running.promise;
    if (!running) return start(arg);
    if (waiting) { waiting.arg = arg; return waiting.promise; }
    let resolve;
    let reject;
    const promise = new Promise((yes, no) => { resolve = yes; reject = no; });
    waiting = { arg, promise, resolve, reject };
    return promise;
  };
}
