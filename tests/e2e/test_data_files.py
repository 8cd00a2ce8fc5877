"""Data files through the page's file control: encodings, ragged rows, the run bar, Reset.

The bytes go to the engine Worker and are read there by evomachine.datafile, the same code the
CLI uses (tests/unit/test_datafile.py holds the reading itself)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from conftest import fresh_lab

pytestmark = pytest.mark.e2e

CSV = "text,label\nfacture erronée,billing\nl'appli plante,tech\ncombien coûte,sales\n"


def state(page) -> dict:
    return page.evaluate("window.evomachine.state()")


@pytest.fixture(scope="module")
def lab(browser, server):
    for page in fresh_lab(browser, server):
        page.select_option("#example-select", "ticket-triage")
        page.click("#load-example")
        page.wait_for_selector(".task-card[data-task='route']")
        yield page


def pick(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#data-file")
    chooser.value.set_files(str(path))


def test_a_latin1_csv_is_read_with_a_visible_notice(lab, tmp_path: Path):
    path = tmp_path / "tickets.csv"
    path.write_bytes(CSV.encode("latin-1"))
    pick(lab, path)
    lab.wait_for_function("document.getElementById('data-info').textContent.includes('3 records')")
    notice = lab.inner_text("#data-info .data-notice")
    assert "windows-1252" in notice and "not UTF-8 (byte 0xe9 on line 2)" in notice
    assert lab.evaluate("getComputedStyle(document.querySelector('.data-notice')).display") \
        != "none"
    assert state(lab)["dataset"]["encoding"] == "windows-1252"


def test_utf16_and_bom_files_read_without_a_notice(lab, tmp_path: Path):
    for name, raw in (("u16.csv", codecs.BOM_UTF16_LE + CSV.encode("utf-16-le")),
                      ("bom.csv", codecs.BOM_UTF8 + CSV.encode("utf-8"))):
        path = tmp_path / name
        path.write_bytes(raw)
        pick(lab, path)
        lab.wait_for_function("(n) => window.evomachine.state().then((s) => s.dataset.name === n)",
                              arg=name)
        dataset = state(lab)["dataset"]
        assert dataset["count"] == 3 and dataset["notice"] is None
        assert dataset["fields"] == ["text", "label"]  # no BOM glued to the first column
        assert lab.locator("#data-info .data-notice").count() == 0


def test_ragged_rows_are_refused_with_their_lines(lab, tmp_path: Path):
    path = tmp_path / "ragged.csv"
    path.write_text("text,label\na,billing\nb\nc,tech,extra\n", encoding="utf-8")
    pick(lab, path)
    lab.wait_for_function("document.getElementById('toast').textContent.includes('ragged.csv')")
    toast = lab.inner_text("#toast")
    assert "2 rows do not have the header's 2 columns: line 3: 1 value; line 4: 3 values" in toast
    assert state(lab)["dataset"]["name"] == "bom.csv"  # nothing changed


def test_the_run_bar_shows_what_ran_and_reset_clears_the_last_run(lab):
    lab.fill("#run-count", "300")
    lab.click("#run-btn")
    lab.wait_for_function("document.getElementById('run-status').textContent"
                          ".startsWith('The data set is used up')")
    ran = state(lab)["step_count"]
    assert 0 < ran < 300
    assert lab.get_attribute(".run-progress", "aria-valuenow") == str(round(ran / 3))
    lab.click("#run-btn")  # nothing left to read: no step runs, and the bar says so
    lab.wait_for_function("document.getElementById('run-status').textContent"
                          ".startsWith('The data set is used up after 0 steps')")
    assert lab.get_attribute(".run-progress", "aria-valuenow") == "0"
    lab.fill("#version-label", "one")
    lab.click("#save-version")
    lab.wait_for_selector("#versions-body tr.head")
    lab.fill("#version-label", "two")
    lab.click("#save-version")
    lab.wait_for_function("document.querySelectorAll('#versions-body tr').length === 2")
    lab.click("#diff-btn")
    lab.wait_for_function("document.getElementById('diff-view').childElementCount > 0")
    lab.click("#reset-all")
    lab.click("#reset-confirm")
    lab.wait_for_function("window.evomachine.state().then((s) => !s.loaded)")
    lab.wait_for_function("document.getElementById('run-status').textContent === 'Idle'")
    assert lab.inner_text("#run-rate") == "—"
    assert lab.get_attribute(".run-progress", "aria-valuenow") == "0"
    assert lab.evaluate("document.getElementById('diff-view').childElementCount") == 0


def test_a_file_that_cannot_be_read_is_refused_before_anything_is_asked(lab, tmp_path: Path):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_selector(".task-card[data-task='route']")
    lab.fill("#run-count", "5")
    lab.click("#run-btn")
    lab.wait_for_function("document.getElementById('run-status').textContent"
                          ".startsWith('Done after 5')")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("text,label\na,billing\nb\n", encoding="utf-8")
    pick(lab, ragged)
    lab.wait_for_function("document.getElementById('toast').textContent.includes('ragged.csv')")
    assert "line 3: 1 value" in lab.inner_text("#toast")
    assert lab.locator("#app-dialog[open]").count() == 0  # no "start again?" for a bad file
    assert state(lab)["step_count"] == 5
    good = tmp_path / "good.csv"
    good.write_text(CSV, encoding="utf-8")
    pick(lab, good)  # a readable file would start the run again: that is asked
    lab.locator("#app-dialog").wait_for(state="visible")
    assert "Start Ticket triage again?" in lab.inner_text("#app-dialog")
    lab.click("#replace-cancel")
    lab.locator("#app-dialog").wait_for(state="hidden")
    assert state(lab)["step_count"] == 5


def pick_and_start_again(page, path: Path) -> None:
    """Load ``path`` as the data set, saying yes if the page asks to start the machine again."""
    pick(page, path)
    page.wait_for_function("(n) => document.getElementById('app-dialog').open || "
                           "document.getElementById('toast').textContent.includes(n)",
                           arg=path.name)
    if page.locator("#app-dialog[open]").count():
        page.click("#replace-confirm")
    page.wait_for_function("(n) => document.getElementById('data-info').textContent.includes(n)",
                           arg=path.name)


def test_a_file_without_the_field_a_prompt_reads_is_said_at_once(lab, tmp_path: Path):
    # ticket-triage's prompt reads input.text
    path = tmp_path / "bodies.csv"
    path.write_text("body,label\nmy bill is wrong,billing\nthe app crashes,tech\n",
                    encoding="utf-8")
    pick_and_start_again(lab, path)
    said = "no record has the field 'text', which task route's prompt reads"
    lab.wait_for_function("(n) => document.getElementById('toast').textContent.includes(n)",
                          arg=said)
    assert said in lab.inner_text("#data-info .data-missing")
    assert state(lab)["dataset"]["missing"] == [said]
    good = tmp_path / "texts.csv"
    good.write_text(CSV, encoding="utf-8")
    pick_and_start_again(lab, good)  # the machine's own kind of data: the warning goes
    assert lab.locator("#data-info .data-missing").count() == 0
    assert state(lab)["dataset"]["missing"] == []
