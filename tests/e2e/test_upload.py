"""Big data files: read as a stream with a progress bar, under a limit the page states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import fresh_lab

LIMIT = 32_000_000  # web/lab/upload.mjs MAX_DATA_BYTES

WATCH = """() => {
  window.__uploadSeen = [];
  const seen = new MutationObserver((changes) => {
    for (const change of changes) {
      const nodes = change.type === "attributes" ? [change.target] : [...change.addedNodes];
      for (const node of nodes) {
        if (node.classList?.contains("upload-progress")) {
          window.__uploadSeen.push(Number(node.getAttribute("aria-valuenow")));
        }
      }
    }
  });
  seen.observe(document.body, { subtree: true, childList: true, attributes: true,
                                attributeFilter: ["aria-valuenow"] });
}"""
LOADED_OR_ASKED = """(expected) => {
  if (document.getElementById("replace-confirm")) return "asked";
  return document.getElementById("data-info").textContent.includes(expected) ? "loaded" : "";
}"""


@pytest.fixture(scope="module")
def lab(browser, server):
    for page in fresh_lab(browser, server):
        page.evaluate("window.evomachine.loadExample('ticket-triage')")
        yield page


def pick(page, path: Path, expected: str) -> None:
    """Choose ``path`` in the data-file control, confirming a restart if the page asks."""
    page.set_input_files("#data-file", str(path))
    try:
        found = page.wait_for_function(LOADED_OR_ASKED, arg=expected, timeout=120_000)
    except Exception:
        raise AssertionError(f"not loaded: {page.inner_text('#data-info')!r}, "
                             f"toast {page.inner_text('#toast')!r}") from None
    if found == "asked":
        page.click("#replace-confirm")
        page.wait_for_function(LOADED_OR_ASKED, arg=expected, timeout=120_000)


def test_the_page_states_the_limit_beside_the_data_file_control(lab):
    assert lab.inner_text(".data-row .upload-limit") == "up to 32.0 MB"


def test_a_big_file_streams_with_a_progress_bar_and_loads(lab, tmp_path: Path):
    path = tmp_path / "big.jsonl"
    words = "my invoice shows the wrong amount after the last app update " * 4
    with path.open("w") as out:
        for index in range(12_000):  # about 3.2 MB: read in many chunks
            out.write(json.dumps({"text": f"{index} {words}", "label": "billing"}) + "\n")
    lab.evaluate(WATCH)
    pick(lab, path, "12,000 records")
    seen = lab.evaluate("window.__uploadSeen")
    assert len(set(seen)) >= 3 and seen[-1] == 100, seen  # the bar moved, and reached the end
    assert seen == sorted(seen)
    assert lab.locator(".upload-progress").count() == 0  # gone once read


def test_a_file_over_the_limit_is_refused_and_nothing_changes(lab, tmp_path: Path):
    small = tmp_path / "small.jsonl"
    small.write_text("".join(json.dumps({"text": f"ticket {i}", "label": "tech"}) + "\n"
                             for i in range(5)))
    pick(lab, small, "5 records")
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as out:  # sparse: its size is over the limit, no disk is used
        out.truncate(LIMIT + 1)
    lab.set_input_files("#data-file", str(huge))
    lab.wait_for_function(
        "document.getElementById('toast').textContent.includes('data files can be up to 32.0 MB')")
    assert "Nothing was loaded" in lab.inner_text("#toast")
    assert "5 records" in lab.inner_text("#data-info")
    assert lab.evaluate("window.evomachine.state()")["dataset"]["count"] == 5
    assert lab.locator(".upload-progress").count() == 0


def test_an_export_too_big_to_import_is_refused_by_its_size_and_nothing_changes(lab, tmp_path):
    before = lab.evaluate("window.evomachine.state()")
    huge = tmp_path / "backup.json"
    with huge.open("wb") as out:  # sparse, as above
        out.truncate(256_000_000 + 1)  # web/lab/upload.mjs MAX_IMPORT_BYTES
    with lab.expect_file_chooser() as chooser:
        lab.click("#import-label")
    chooser.value.set_files(str(huge))
    lab.wait_for_function("document.getElementById('toast').textContent"
                          ".includes('exports to import can be up to 256.0 MB')")
    assert "backup.json is 256.0 MB" in lab.inner_text("#toast")
    assert "Nothing was loaded" in lab.inner_text("#toast")
    assert lab.locator("#app-dialog[open]").count() == 0
    after = lab.evaluate("window.evomachine.state()")
    assert (after["step_count"], after["dataset"]) == (before["step_count"], before["dataset"])
