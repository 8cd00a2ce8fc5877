// The machine DSL for CodeMirror: a line-by-line stream tokenizer (no grammar to generate) and
// the colours of its tokens. It follows the lexer's token kinds (py_src/evomachine/dsl/lexer.py):
// comments, strings, arrows and edge labels, annotations, numbers, and words that are a node
// type, an attribute name, a literal or a name. It only colours text; the parser in the engine
// Worker says what is wrong (see ./diagnostics.mjs).

import { HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

/** Node types that mean something to the engine (case-insensitive), offered by completion. */
export const NODE_TYPES = ["Input", "Task", "State", "Context", "Output", "Note"];
const NODE_TYPE = /^(machine|task|state|input|context|output|note)$/i;

const RULES = [
  ["comment", /\/\/.*/y],
  ["string", /"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?/y],
  ["arrow", /<-->|-->|->|=>|<-|-(?=[A-Za-z_"][^;{}]*?->)/y],
  ["annotation", /@[A-Za-z_][\w-]*/y],
  ["number", /-?\d+(?:\.\d+)?(?![\w])/y],
  ["word", /[A-Za-z_][\w-]*/y],
  ["brace", /[{}[\]()]/y],
];

/** The kind of a word at `end` of `line`: a node type before a name, a literal, an attribute or a name. */
function wordKind(word, line, end) {
  const after = line.slice(end, end + 200);
  if (NODE_TYPE.test(word) && /^[ \t]+[A-Za-z_"]/.test(after)) return "keyword";
  if (/^(true|false|null)$/.test(word)) return "bool";
  if (/^\s*[:<]/.test(after)) return "attr";
  return "name";
}

/** The end of a construct that spans lines (`close` from `pos`), or the line's end (still open). */
function spanning(line, pos, state, key, close, kind) {
  const at = line.indexOf(close, pos);
  if (at === -1) { state[key] = true; return [kind, line.length]; }
  state[key] = false;
  return [kind, at + close.length];
}

/**
 * One token of `line` from `pos`: [kind, end]. `state.comment` / `state.text` say a block
 * comment / a """multi-line string""" is open at the line's start.
 */
export function dslToken(line, pos, state) {
  if (state.text) return spanning(line, pos, state, "text", '"""', "string");
  if (line.startsWith('"""', pos)) return spanning(line, pos + 3, state, "text", '"""', "string");
  if (state.comment) return spanning(line, pos, state, "comment", "*/", "comment");
  if (line.startsWith("/*", pos)) return spanning(line, pos + 2, state, "comment", "*/", "comment");
  for (const [kind, rule] of RULES) {
    rule.lastIndex = pos;
    const m = rule.exec(line);
    if (!m || !m[0].length) continue;
    const end = pos + m[0].length;
    return [kind === "word" ? wordKind(m[0], line, end) : kind, end];
  }
  return ["punct", pos + 1];
}

const STYLE_OF = {
  comment: "comment", string: "string", arrow: "operator", annotation: "meta", number: "number",
  keyword: "keyword", bool: "bool", attr: "propertyName", name: "variableName", brace: "brace",
  punct: "punctuation",
};

export const dslLanguage = StreamLanguage.define({
  name: "evomachine-dsl",
  startState: () => ({ comment: false, text: false }),
  copyState: (state) => ({ comment: state.comment, text: state.text }),
  token(stream, state) {
    if (!state.comment && !state.text && stream.eatSpace()) return null;
    const [kind, end] = dslToken(stream.string, stream.pos, state);
    stream.pos = Math.max(end, stream.pos + 1);
    return STYLE_OF[kind];
  },
  languageData: { commentTokens: { line: "//", block: { open: "/*", close: "*/" } } },
});

// Colours as in the generated-code view (web/lab/lab.css .tok-*), contrast ≥ 4.5 on the editor's
// background.
const dslColours = HighlightStyle.define([
  { tag: tags.keyword, color: "#8250df", fontWeight: "600" },
  { tag: tags.string, color: "#0a3069" },
  { tag: tags.comment, color: "#57606a", fontStyle: "italic" },
  { tag: tags.operator, color: "#953800", fontWeight: "600" },
  { tag: [tags.number, tags.bool], color: "#0550ae" },
  { tag: tags.propertyName, color: "#116329" },
  { tag: tags.meta, color: "#953800" },
]);

export function dsl() {
  return [dslLanguage, syntaxHighlighting(dslColours)];
}
