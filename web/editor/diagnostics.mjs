// The parser's problems ({line, column, message}, 1-based, columns in code points as Python
// counts them) as CodeMirror lint diagnostics: a range from the column to the end of the word
// there, or a point at a line's end.

/** At most this many problems become markers (a huge broken paste stays responsive). */
export const MAX_MARKERS = 500;

/** The document offset of 1-based `line`/`column` (code points), clamped into the line. */
export function offsetAt(doc, line, column) {
  const target = doc.line(Math.min(Math.max(1, line), doc.lines));
  let offset = target.from;
  let remaining = Math.max(0, column - 1);
  const text = target.text;
  let i = 0;
  while (remaining > 0 && i < text.length) {
    const code = text.codePointAt(i);
    i += code > 0xffff ? 2 : 1;
    remaining -= 1;
  }
  offset += i;
  return offset;
}

/** Lint diagnostics for `errors` in `doc` (problems without a line sit at the start); each
 * carries its own `severity` ("error" unless it says "warning"). */
export function toDiagnostics(doc, errors) {
  const out = [];
  for (const error of errors.slice(0, MAX_MARKERS)) {
    const line = Number(error.line) || 0;
    const from = line > 0 ? offsetAt(doc, line, Number(error.column) || 1) : 0;
    const lineEnd = doc.lineAt(from).to;
    const word = /^[^\s;{}()[\],]+/.exec(doc.sliceString(from, Math.min(lineEnd, from + 200)));
    const to = word ? from + word[0].length : Math.min(from + 1, lineEnd);
    const severity = error.severity === "warning" ? "warning" : "error";
    out.push({ from, to, severity, message: String(error.message), source: "parser" });
  }
  return out;
}
