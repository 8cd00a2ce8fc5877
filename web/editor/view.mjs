// The CodeMirror view of the DSL editor: which features it has and how it looks.
//
// The view lives in a shadow root. CodeMirror injects its styles (themes, the highlight style)
// at run time; in a document it writes them into a <style> element, which the page's CSP
// (style-src 'self', no 'unsafe-inline') refuses, while in a shadow root it uses a constructed
// stylesheet (adoptedStyleSheets), which is CSSOM and outside style-src. So the policy stays as
// strict as it was: no 'unsafe-inline' and no nonce that a static page would have to repeat.

import { completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching } from "@codemirror/language";
import { lintGutter, lintKeymap } from "@codemirror/lint";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { EditorState, Prec } from "@codemirror/state";
import {
  EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars,
  keymap, lineNumbers,
} from "@codemirror/view";
import { dslCompletion } from "./completion.mjs";
import { dsl } from "./dsl-language.mjs";

const HOST_CSS = ":host { display: block; flex: 1 1 auto; min-width: 0; height: 100%; }";

const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "#fbfbfa", color: "#1d1f21" },
  "&.cm-focused": { outline: "none" }, // the .editor container draws the focus ring
  ".cm-scroller": { fontFamily: "var(--mono, monospace)", fontSize: "13px", lineHeight: "20px" },
  ".cm-content": { padding: "8px 0" },
  ".cm-gutters": { backgroundColor: "#f0f1f3", color: "#57606a", borderRight: "1px solid #d0d7de" },
  ".cm-activeLine": { backgroundColor: "#f2f4f8" },
  ".cm-activeLineGutter": { backgroundColor: "#e4e7ec", color: "#1d1f21" },
  ".cm-matchingBracket": { backgroundColor: "#d6ecd9", outline: "1px solid #1a7f37" },
  ".cm-nonmatchingBracket": { backgroundColor: "#ffebe9", outline: "1px solid #b42318" },
  ".cm-panels": { fontFamily: "system-ui, sans-serif", fontSize: "13px" },
  ".cm-tooltip": { fontFamily: "system-ui, sans-serif", fontSize: "13px" },
  ".cm-diagnostic-error": { borderLeftColor: "#b42318" },
});

/**
 * A shadow root inside `parent` (an element with id `hostId`, so the page can name the editor
 * for focus order and labels) and the CodeMirror view in it.
 */
export function mountView(parent, hostId, { doc, onSubmit, onDocChanged, vocabulary, label }) {
  const host = document.createElement("div");
  host.id = hostId;
  host.className = "editor-host";
  parent.replaceChildren(host);
  const root = host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(HOST_CSS);
  root.adoptedStyleSheets = [sheet];
  const extensions = [
    lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), drawSelection(),
    bracketMatching(), highlightActiveLine(), highlightSelectionMatches(), search({ top: true }),
    lintGutter(), dsl(), dslCompletion(vocabulary), theme,
    Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { onSubmit(); return true; } }])),
    keymap.of([...defaultKeymap, ...searchKeymap, ...historyKeymap,
      ...completionKeymap, ...lintKeymap]),
    EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false", autocapitalize: "off",
      autocorrect: "off" }),
    EditorView.updateListener.of((update) => { if (update.docChanged) onDocChanged(update); }),
  ];
  const makeState = (text) => EditorState.create({ doc: text, extensions });
  const view = new EditorView({ state: makeState(doc), parent: root, root });
  return { view, host, makeState };
}
