"""Reading the DSL editor (CodeMirror, in the shadow root of ``#dsl``) from e2e tests.

Tests act through the keyboard and the mouse; these only read what the editor holds, through
CodeMirror's own ``EditorView.findFromDOM`` (the page's import map resolves the module).
"""

from __future__ import annotations

_VIEW = """const { EditorView } = await import('@codemirror/view');
  const view = EditorView.findFromDOM(
    document.getElementById('dsl').shadowRoot.querySelector('.cm-editor'));"""

TEXT = f"async () => {{ {_VIEW} return view.state.doc.toString(); }}"
# Whether the text starts with the argument: the editor follows a change at the page's next draw.
STARTS_WITH = f"async (start) => {{ {_VIEW} return view.state.doc.toString().startsWith(start); }}"
LENGTH = f"async () => {{ {_VIEW} return view.state.doc.length; }}"
SELECTION = f"""async () => {{ {_VIEW}
  const {{ from, to, head }} = view.state.selection.main;
  const line = view.state.doc.lineAt(head);
  return {{ from, to, text: view.state.doc.sliceString(from, to), line: line.number,
           column: head - line.from + 1 }}; }}"""

# The line number drawn beside each gutter marker (or line) of a kind, matched by position on
# screen: what a person reads off the gutter.
GUTTER_LINES = """(selector) => {
  const root = document.getElementById('dsl').shadowRoot;
  const numbers = [...root.querySelectorAll('.cm-lineNumbers .cm-gutterElement')]
    .filter((el) => el.textContent.trim() !== '');
  return [...root.querySelectorAll(selector)].map((marker) => {
    const box = marker.getBoundingClientRect();
    const middle = box.top + box.height / 2;
    const number = numbers.find((el) => {
      const b = el.getBoundingClientRect();
      return b.top <= middle && middle < b.bottom;
    });
    return number ? Number(number.textContent) : null;
  });
}"""


def editor_text(page) -> str:
    return page.evaluate(TEXT)


def editor_length(page) -> int:
    return page.evaluate(LENGTH)


def editor_selection(page) -> dict:
    return page.evaluate(SELECTION)


def gutter_lines(page, selector: str) -> list[int | None]:
    """The line numbers beside the elements ``selector`` matches in the editor's shadow root."""
    return page.evaluate(GUTTER_LINES, selector)
