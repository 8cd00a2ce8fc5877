// Small tokenizers for the DSL and for generated Python, producing DOM fragments of text spans
// (the text is never parsed as HTML).

import { h } from "../dom.mjs";

const TOKEN_KINDS = ["comment", "string", "arrow", "annotation", "number", "keyword", "attr", "bool", "def"];

const NODE_TYPES = /^(machine|task|state|input|context|output|note)$/i;
const DSL_RULES = [
  ["comment", /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/y],
  ["string", /"(?:[^"\\\n]|\\.)*"?/y],
  ["arrow", /<-->|-->|->|=>|-(?=[A-Za-z_"][^\n;{}]*?->)/y],
  ["annotation", /@[A-Za-z_][\w-]*/y],
  ["number", /-?\d+(?:\.\d+)?(?![\w])/y],
  ["word", /[A-Za-z_][\w-]*/y],
  ["space", /\s+/y],
  ["punct", /[^\sA-Za-z_"@\d]/y],
];

/** DSL text to tokens [kind, text]; words become keyword/attr/bool/ident by context. */
export function dslTokens(text) {
  const tokens = [];
  let pos = 0;
  while (pos < text.length) {
    let matched = false;
    for (const [kind, rule] of DSL_RULES) {
      rule.lastIndex = pos;
      const m = rule.exec(text);
      if (!m || !m[0].length) continue;
      let k = kind;
      if (kind === "word") {
        const after = text.slice(pos + m[0].length, pos + m[0].length + 200);
        if (NODE_TYPES.test(m[0]) && /^[ \t]+[A-Za-z_"]/.test(after)) k = "keyword";
        else if (/^(true|false|null)$/.test(m[0])) k = "bool";
        else if (/^\s*[:<]/.test(after)) k = "attr";
        else k = "ident";
      }
      tokens.push([k, m[0]]);
      pos += m[0].length;
      matched = true;
      break;
    }
    if (!matched) { tokens.push(["punct", text[pos]]); pos += 1; }
  }
  return tokens;
}

/** 1-based line/column to an offset into `text` (clamped to the line's end). */
export function offsetOf(text, line, column) {
  let offset = 0;
  for (let l = 1; l < line; l += 1) {
    const next = text.indexOf("\n", offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf("\n", offset);
  const end = lineEnd === -1 ? text.length : lineEnd;
  return Math.min(offset + Math.max(0, column - 1), end);
}

/**
 * DSL text to a highlighted fragment. Each error {line, column} underlines from its column to the
 * end of the token there; on a line break or the end of the text it shows a zero-width caret, so
 * the overlay keeps exactly the textarea's characters.
 */
export function highlightDsl(text, errors = []) {
  const marks = [...new Set(errors.filter((e) => e.line > 0).map((e) => offsetOf(text, e.line, e.column)))]
    .sort((a, b) => a - b);
  const out = document.createDocumentFragment();
  let start = 0;
  let m = 0;
  for (const [kind, value] of dslTokens(text)) {
    const end = start + value.length;
    let cursor = start;
    while (m < marks.length && marks[m] < end) {
      const at = marks[m];
      m += 1;
      if (at < cursor) continue;
      span(out, kind, text.slice(cursor, at));
      if (text[at] === "\n") {
        out.append(h("span", { class: "tok-caret" }));
        cursor = at;
        continue;
      }
      const lineEnd = text.indexOf("\n", at);
      const stop = Math.min(end, lineEnd === -1 ? end : lineEnd);
      out.append(h("span", { class: "tok-error" }, text.slice(at, stop)));
      cursor = stop;
    }
    span(out, kind, text.slice(cursor, end));
    start = end;
  }
  if (marks.some((at) => at >= text.length)) out.append(h("span", { class: "tok-caret" }));
  out.append("\n");
  return out;
}

function span(out, kind, text) {
  if (!text) return;
  if (TOKEN_KINDS.includes(kind)) out.append(h("span", { class: `tok-${kind}` }, text));
  else out.append(text);
}

const PY_KEYWORDS = new Set(("False None True and as assert async await break class continue def del elif else " +
  "except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield").split(" "));
const PY_RULES = [
  ["comment", /#[^\n]*/y],
  ["string", /(?:[rbuRBU]|[fF][rR]?)?(?:"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')/y],
  ["number", /\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/y],
  ["word", /[A-Za-z_]\w*/y],
  ["space", /\s+/y],
  ["punct", /[^\sA-Za-z_\d"'#]+/y],
];

/** Python source to a highlighted fragment (keywords, strings, comments, numbers, def/class names). */
export function highlightPython(source) {
  const out = document.createDocumentFragment();
  let pos = 0;
  let previous = "";
  while (pos < source.length) {
    let matched = false;
    for (const [kind, rule] of PY_RULES) {
      rule.lastIndex = pos;
      const m = rule.exec(source);
      if (!m || !m[0].length) continue;
      let k = kind;
      if (kind === "word") {
        if (PY_KEYWORDS.has(m[0])) k = "keyword";
        else if (previous === "def" || previous === "class") k = "def";
        else k = "ident";
        previous = m[0];
      }
      span(out, k, m[0]);
      pos += m[0].length;
      matched = true;
      break;
    }
    if (!matched) { out.append(source[pos]); pos += 1; }
  }
  return out;
}
