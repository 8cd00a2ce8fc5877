// A small tokenizer for generated Python, producing DOM fragments of text spans (the text is
// never parsed as HTML). The DSL editor's highlighting is web/editor/dsl-language.mjs.

import { h } from "../dom.mjs";

const TOKEN_KINDS = ["comment", "string", "number", "keyword", "def"];

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
