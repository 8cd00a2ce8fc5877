"""The DSL editor (CodeMirror 6) used as a person uses it: click, type, keys, paste.

One page is booted for the module; each test starts from an editor it fills itself. Budgets
are counted (lines drawn, frames that arrive, markers), never timed: frame gaps are a
``bench/editor.py`` figure.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from _editor import LENGTH, editor_length, editor_selection, editor_text, gutter_lines

from conftest import guard_requests

pytestmark = pytest.mark.e2e

CSP_LOG = """document.addEventListener('securitypolicyviolation', (e) => {
  (window.__csp = window.__csp || []).push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});"""

MACHINE = [
    'machine "Typed"',
    "Input ticket { source: \"data.jsonl\"; ground_truth: \"label\"; }",
    "Task route {",
    'prompt: "Route {{ input.text }}";',
    'evolution_stage: "sideways";',
    'output<"billing" | "tech">;',
    "}",
    "State billing;",
    "State tech;",
    "ticket -> route;",
    "route -billing-> billing;",
    "route -tech-> tech;",
]


@pytest.fixture(scope="module")
def lab(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    log = guard_requests(context)
    context.add_init_script(CSP_LOG)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url)
    page.wait_for_function("document.body.dataset.ready === 'true' || "
                           "document.body.dataset.ready === 'failed'", timeout=120_000)
    assert page.evaluate("document.body.dataset.ready") == "true", page.inner_text("#boot-error")
    page.evaluate("window.evomachine.ready")
    page.evaluate("window.evomachine.reset()")
    page.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
    page.log = log
    yield page
    context.close()
    assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"
    assert errors == [], errors


def replace_text(page, lines: list[str]) -> None:
    """Click into the editor, select everything and type ``lines`` over it, key by key."""
    page.locator("#dsl .cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("\n".join(lines))


def paste(page, text: str) -> None:
    """Put ``text`` on the clipboard and paste it over everything in the editor (Ctrl+V)."""
    page.evaluate("(t) => navigator.clipboard.writeText(t)", text)
    page.locator("#dsl .cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+V")


def checked(page, expected: str) -> None:
    """Wait until the engine's check of the text on screen says ``expected`` under the editor."""
    page.wait_for_function("(t) => document.getElementById('dsl-status').textContent.startsWith(t)",
                           arg=expected, timeout=120_000)


def test_codemirror_comes_from_this_origin_and_its_styles_keep_the_csp(lab):
    modules = [url for url in lab.log.urls if "/web/vendor/codemirror/" in url]
    assert len({urlparse(url).path for url in modules}) == 14
    assert all(urlparse(url).hostname == "127.0.0.1" for url in modules)
    policy = lab.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    style_src = re.search(r"style-src ([^;]*)", policy).group(1).split()
    assert style_src == ["'self'"]
    # CodeMirror's styles are in force (the gutter is a flex row beside the text) without any
    # <style> element in the page and without a CSP violation...
    assert lab.evaluate("""() => {
        const root = document.getElementById('dsl').shadowRoot;
        return [getComputedStyle(root.querySelector('.cm-editor')).display,
                getComputedStyle(root.querySelector('.cm-gutters')).display,
                document.querySelectorAll('style').length, root.querySelectorAll('style').length,
                root.adoptedStyleSheets.length > 1];
    }""") == ["flex", "flex", 0, 0, True]
    assert lab.evaluate("window.__csp || []") == []
    # ...and the log does catch a style the policy refuses.
    lab.evaluate("""() => new Promise((resolve) => {
        document.addEventListener('securitypolicyviolation', () => resolve(), { once: true });
        const probe = document.createElement('style');
        probe.textContent = 'body { color: red; }';
        document.head.append(probe);
        probe.remove();
    })""")
    assert any("style-src" in row for row in lab.evaluate("window.__csp"))
    lab.evaluate("window.__csp = []")


def test_an_error_typed_on_line_5_is_marked_on_line_5_and_fixing_it_clears_the_mark(lab):
    replace_text(lab, MACHINE)
    assert editor_text(lab) == "\n".join(MACHINE)
    checked(lab, "1 problem")
    root = "#dsl .cm-editor"
    lab.wait_for_selector(f"{root} .cm-lint-marker-error")
    assert gutter_lines(lab, ".cm-lint-marker-error") == [5]
    assert lab.locator(f"{root} .cm-lintRange-error").inner_text() == '"sideways"'
    link = lab.locator("#dsl-errors .error-link")
    assert link.count() == 1
    assert link.inner_text().startswith("Line 5, column 18: unknown evolution_stage 'sideways'")
    # Highlighting: node types, attribute names and strings each have their colour.
    colours = lab.evaluate("""() => {
        const line = document.getElementById('dsl').shadowRoot.querySelectorAll('.cm-line')[2];
        return [...line.querySelectorAll('span')]
          .map((s) => [s.textContent, getComputedStyle(s).color]);
    }""")
    assert colours[0] == ["Task", "rgb(130, 80, 223)"]
    # Clicking the problem puts the caret on it; a person then types the fix.
    link.click()
    assert editor_selection(lab)["line"] == 5 and editor_selection(lab)["column"] == 18
    lab.keyboard.press("Shift+End")
    lab.keyboard.type('"hybrid";')
    checked(lab, "No problems")
    assert lab.locator(f"{root} .cm-lint-marker-error").count() == 0
    assert lab.locator("#dsl-errors .error-link").count() == 0


def test_the_gutter_stays_beside_its_lines_after_scrolling(lab):
    lines = [*MACHINE[:4], 'evolution_stage: "hybrid";', *MACHINE[5:]]
    lines += [f"State extra{i};" for i in range(300)]
    lines[250] = "State extra%;"  # line 251: a character the lexer refuses
    paste(lab, "\n".join(lines))
    checked(lab, "1 problem")
    assert lab.locator("#dsl-errors .error-link").inner_text().startswith("Line 251,")
    scroller = lab.locator("#dsl .cm-scroller")
    scroller.hover()
    for _ in range(12):
        lab.mouse.wheel(0, 600)
    lab.wait_for_function("""() => document.getElementById('dsl').shadowRoot
        .querySelector('.cm-scroller').scrollTop > 4000""")
    # Every line on screen has its own number beside it, however far down.
    pairs = lab.evaluate("""() => {
        const root = document.getElementById('dsl').shadowRoot;
        const box = root.querySelector('.cm-scroller').getBoundingClientRect();
        const numbers = [...root.querySelectorAll('.cm-lineNumbers .cm-gutterElement')];
        return [...root.querySelectorAll('.cm-line')].map((line) => {
          const b = line.getBoundingClientRect();
          if (b.top < box.top || b.bottom > box.bottom) return null;
          const middle = b.top + b.height / 2;
          const number = numbers.find((el) => {
            const n = el.getBoundingClientRect();
            return n.top <= middle && middle < n.bottom;
          });
          return [number ? Number(number.textContent) : null, line.textContent];
        }).filter(Boolean);
    }""")
    assert len(pairs) > 10
    assert [lines[number - 1] for number, _ in pairs] == [text for _, text in pairs]
    assert pairs[-1][0] == len(lines)
    # The marker of line 251 sits beside line 251 once it is on screen.
    lab.locator("#dsl-errors .error-link").click()
    assert gutter_lines(lab, ".cm-lint-marker-error") == [251]


def test_ctrl_f_finds_and_escape_closes(lab):
    replace_text(lab, MACHINE)
    lab.keyboard.press("Control+Home")
    lab.keyboard.press("Control+F")
    field = lab.locator("#dsl .cm-search input[name='search']")
    field.wait_for()
    lab.keyboard.type("billing")
    lab.keyboard.press("Enter")
    selected = editor_selection(lab)
    assert selected["text"] == "billing" and selected["line"] == 6
    lab.keyboard.press("Enter")
    assert editor_selection(lab)["line"] == 8
    assert lab.locator("#dsl .cm-searchMatch").count() >= 3
    lab.keyboard.press("Escape")
    assert lab.locator("#dsl .cm-search").count() == 0


def test_ctrl_z_undoes_typing_and_ctrl_shift_z_redoes_it(lab):
    replace_text(lab, MACHINE)
    before = editor_text(lab)
    lab.keyboard.press("Control+Home")
    lab.keyboard.press("End")
    lab.keyboard.type(" // a note")
    assert editor_text(lab).startswith('machine "Typed" // a note\n')
    lab.keyboard.press("Control+Z")
    assert editor_text(lab) == before
    lab.keyboard.press("Control+Shift+Z")
    assert editor_text(lab).startswith('machine "Typed" // a note\n')


def test_the_caret_beside_a_brace_marks_its_partner(lab):
    replace_text(lab, MACHINE)
    lab.keyboard.press("Control+Home")
    lab.keyboard.press("ArrowDown")
    lab.keyboard.press("ArrowDown")
    lab.keyboard.press("End")  # after "Task route {"
    marked = lab.locator("#dsl .cm-matchingBracket")
    assert marked.count() == 2
    assert [marked.nth(0).inner_text(), marked.nth(1).inner_text()] == ["{", "}"]
    lab.keyboard.press("Control+End")
    lab.keyboard.type(" ]")  # a bracket with no partner is marked as such
    assert lab.locator("#dsl .cm-nonmatchingBracket").inner_text() == "]"


def accept(page) -> None:
    """Enter on the selected completion, after the pause in which a person reads the list
    (CodeMirror ignores Enter for 75 ms after the list opens, so a fast typist's Enter stays
    a line break)."""
    page.wait_for_timeout(150)
    page.keyboard.press("Enter")


def test_ctrl_space_completes_node_names_node_types_and_attribute_names(lab):
    replace_text(lab, [*MACHINE[:4], 'evolution_stage: "hybrid";', *MACHINE[5:]])
    checked(lab, "No problems")
    popup = lab.locator("#dsl .cm-tooltip-autocomplete")
    # A node name at the start of a statement.
    lab.keyboard.press("Control+End")
    lab.keyboard.press("Enter")
    lab.keyboard.type("ro")
    lab.keyboard.press("Control+Space")
    popup.wait_for()
    assert "route" in popup.inner_text()
    accept(lab)
    assert editor_text(lab).endswith("\nroute")
    # A node type.
    lab.keyboard.press("Enter")
    lab.keyboard.type("Sta")
    lab.keyboard.press("Control+Space")
    popup.wait_for()
    assert "State" in popup.inner_text()
    lab.keyboard.press("Escape")
    # An attribute name the engine reads that appears nowhere in the text, inside a block.
    lab.keyboard.press("Control+Home")
    for _ in range(3):
        lab.keyboard.press("ArrowDown")
    lab.keyboard.press("End")  # after 'prompt: "…";'
    lab.keyboard.press("Enter")
    lab.keyboard.type("llm_thr")
    lab.keyboard.press("Control+Space")
    popup.wait_for()
    assert "llm_threshold" in popup.inner_text()
    assert "route" not in popup.inner_text()
    accept(lab)
    assert editor_text(lab).split("\n")[4] == "llm_threshold"


def big_machine(size: int, last: str) -> str:
    """A machine of about ``size`` characters whose last line is ``last``."""
    lines = ['machine "Big"', 'Input data { source: "data.jsonl"; }',
             'Task t { prompt: "a or b: {{ input.text }}"; output<"a" | "b">; }',
             "data -> t;", "t -> s0;"]
    total, i = sum(len(line) + 1 for line in lines), 0
    while total < size:
        line = f'State s{i} "State number {i}, one of many in a pasted machine"; s{i} -> data;'
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join([*lines, last]) + "\n"


def test_a_7_mb_machine_pasted_is_all_there_and_the_page_keeps_drawing(lab):
    text = big_machine(7_000_000, "s0 -> nowhere;")
    line_count = text.count("\n") + 1
    status = "document.getElementById('dsl-status').textContent = 'waiting'"
    lab.evaluate(status)
    replace_text(lab, ['machine "Small"'])
    checked(lab, "No problems")  # no earlier check is still on its way
    paste(lab, text)
    lab.wait_for_function(f"({LENGTH})().then((n) => n === {len(text)})", timeout=120_000)
    lab.evaluate(status)  # the check of 7 MB is not back yet: the Worker parses for seconds
    # The page lays out what is on screen, not 84,000 lines.
    assert lab.locator("#dsl .cm-line").count() <= 150
    # While the engine parses 7 MB in its Worker, the page keeps drawing: 30 frames arrive
    # before the check is shown (counted, not timed).
    frames = lab.evaluate("""() => new Promise((resolve) => {
        let frames = 0;
        const status = document.getElementById('dsl-status');
        const tick = () => {
          frames += 1;
          if (frames < 30) requestAnimationFrame(tick);
          else resolve(status.textContent === 'waiting' ? frames : -frames);
        };
        requestAnimationFrame(tick);
    })""")
    assert frames == 30
    assert lab.evaluate("localStorage.getItem('evomachine:draft')") is None
    checked(lab, "1 problem")
    link = lab.locator("#dsl-errors .error-link")
    assert link.inner_text().startswith(f"Line {line_count - 1},")
    link.click()
    assert gutter_lines(lab, ".cm-lint-marker-error") == [line_count - 1]
    # Typing and undo work on the huge text.
    lab.keyboard.press("Control+End")
    lab.keyboard.type("// end")
    assert editor_length(lab) == len(text) + len("// end")
    lab.keyboard.press("Control+Z")
    assert editor_length(lab) == len(text)
    replace_text(lab, MACHINE[:1])


# Last: once a machine is loaded, the page's renders may replace the editor's text.
def test_ctrl_enter_and_the_load_machine_button_load_what_is_typed(lab):
    lines = [*MACHINE[:4], 'evolution_stage: "hybrid";', *MACHINE[5:]]
    replace_text(lab, lines)
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function("window.evomachine.state().then((s) => s.loaded && "
                          "s.machine.title === 'Typed')", timeout=60_000)
    lab.wait_for_function("document.body.dataset.loaded === 'true'")  # the page drew it
    assert lab.evaluate("window.evomachine.state()")["dsl"] == "\n".join(lines)
    assert editor_text(lab) == "\n".join(lines)  # Ctrl+Enter added no line
    lab.locator("#dsl .cm-content").click()
    lab.keyboard.press("Control+Home")
    lab.keyboard.press("End")
    lab.keyboard.press("ArrowLeft")
    lab.keyboard.type(" again")
    lab.click("#apply-dsl")
    if lab.locator("#app-dialog[open]").count():
        lab.locator("#app-dialog[open] button.primary, #app-dialog[open] button.danger") \
            .first.click()
    lab.wait_for_function("window.evomachine.state().then((s) => s.machine && "
                          "s.machine.title === 'Typed again')", timeout=60_000)
    assert editor_text(lab).startswith('machine "Typed again"\n')


def test_an_attribute_that_does_nothing_is_a_warning_and_the_machine_still_loads(lab):
    lines = ['machine "Warned"', *MACHINE[1:4], 'evolution_stage: "llm_only";',
             "max_disagrement: 0.05;", *MACHINE[5:]]
    replace_text(lab, lines)
    checked(lab, "No problems · 1 warning")
    root = "#dsl .cm-editor"
    lab.wait_for_selector(f"{root} .cm-lint-marker-warning")
    assert gutter_lines(lab, ".cm-lint-marker-warning") == [6]
    assert lab.locator(f"{root} .cm-lint-marker-error").count() == 0
    link = lab.locator("#dsl-errors .warning-link")
    assert link.inner_text() == (
        "Warning: line 6, column 1: unknown attribute 'max_disagrement' has no effect: "
        "did you mean 'max_disagreement'? (task 'route')")
    link.click()
    assert editor_selection(lab)["line"] == 6 and editor_selection(lab)["column"] == 1
    lab.click("#apply-dsl")  # a warning does not stop the load
    if lab.locator("#app-dialog[open]").count():
        lab.locator("#app-dialog[open] button.primary, #app-dialog[open] button.danger") \
            .first.click()
    lab.wait_for_function("window.evomachine.state().then((s) => s.machine && "
                          "s.machine.title === 'Warned')", timeout=60_000)
    lab.wait_for_function("document.getElementById('toast').textContent"
                          ".includes('1 warning: see the list under the editor.')")
