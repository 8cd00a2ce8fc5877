// Completion of node names, node types and attribute names. Names come from two places: what
// the engine's parser found the last time the machine parsed (set through `vocabulary`), and,
// for texts small enough to scan while typing, the declarations in the text as it is now.

import { autocompletion } from "@codemirror/autocomplete";
import { NODE_TYPES } from "./dsl-language.mjs";

/** Texts above this many characters are not scanned while typing (the engine's names remain). */
export const SCAN_LIMIT = 512 * 1024;
/** How far back the context of the cursor is read (attribute position or not). */
const LOOK_BACK = 4000;

const DECLARED = /(?:^|[;{}])\s*(?:@[\w-]+(?:\([^)]*\))?\s*)*(?:[A-Za-z_][\w-]*[ \t]+)?([A-Za-z_][\w-]*)\s*(?:"[^"\n]*"\s*)?[;{]/g;
const ATTRIBUTE = /(?:^|[;{])\s*([A-Za-z_][\w-]*)\s*(?:<[^>\n]*>\s*)?:/g;
const ENDPOINT = /([A-Za-z_][\w-]*)\s*(?=->|-->|=>|<-->|-[A-Za-z_"][^;{}\n]*?->)|(?:->|-->|=>|<-->)\s*([A-Za-z_][\w-]*)/g;

/** Names the text declares: {nodes, attributes} (sets). */
export function scanNames(text) {
  const nodes = new Set();
  const attributes = new Set();
  for (const m of text.matchAll(ATTRIBUTE)) attributes.add(m[1]);
  for (const m of text.matchAll(DECLARED)) if (!attributes.has(m[1])) nodes.add(m[1]);
  for (const m of text.matchAll(ENDPOINT)) nodes.add(m[1] || m[2]);
  for (const word of ["machine", ...NODE_TYPES]) nodes.delete(word);
  return { nodes, attributes };
}

/**
 * Where the cursor is: "attribute" where a block expects an attribute name (after `{` or `;`
 * inside braces), else "statement". Strings and comments are skipped only roughly: this
 * chooses which names to offer, it never judges the text.
 */
export function contextAt(text, pos) {
  const before = text.slice(Math.max(0, pos - LOOK_BACK), pos).replace(/\/\/.*|"(?:[^"\\\n]|\\.)*"/g, "");
  const tail = before.replace(/[A-Za-z_][\w-]*$/, "").trimEnd();
  const last = tail[tail.length - 1];
  let depth = 0;
  for (const ch of tail) depth += ch === "{" ? 1 : ch === "}" ? -1 : 0;
  if (depth > 0 && (last === "{" || last === ";")) return "attribute";
  return "statement";
}

/**
 * The completion extension. `vocabulary()` returns the engine's names {nodes, attributes};
 * node types are always offered at a statement's start.
 */
export function dslCompletion(vocabulary) {
  let cache = { doc: null, names: { nodes: new Set(), attributes: new Set() } };
  const local = (doc) => {
    if (cache.doc !== doc) {
      cache = { doc, names: doc.length <= SCAN_LIMIT ? scanNames(doc.toString()) : { nodes: new Set(), attributes: new Set() } };
    }
    return cache.names;
  };
  const source = (context) => {
    const word = context.matchBefore(/[A-Za-z_][\w-]*/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    const { doc } = context.state;
    const around = doc.sliceString(Math.max(0, from - LOOK_BACK), from);
    const where = contextAt(around, around.length);
    const engine = vocabulary();
    const mine = local(doc);
    const typed = word ? word.text : "";
    const options = [];
    const add = (names, type, detail) => {
      for (const label of names) if (label !== typed) options.push({ label, type, detail });
    };
    if (where === "attribute") {
      add(new Set([...engine.attributes, ...mine.attributes]), "property", "attribute");
    } else {
      add(new Set([...engine.nodes, ...mine.nodes]), "variable", "node");
      add(NODE_TYPES, "keyword", "node type");
    }
    return options.length ? { from, options, validFor: /^[A-Za-z_][\w-]*$/ } : null;
  };
  return autocompletion({ override: [source], icons: false });
}
