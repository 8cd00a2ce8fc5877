"""The machines this browser keeps, through the page: the list, Open, and the question before a
load would start a run again. One page for the module; the tests run in file order on it."""

from __future__ import annotations

import pytest

from conftest import fresh_lab

pytestmark = pytest.mark.e2e



def state(page) -> dict:
    return page.evaluate("window.evomachine.state()")


def rows(page) -> list[str]:
    return page.locator("#machines-body tr").all_inner_texts()


@pytest.fixture(scope="module")
def lab(browser, server):
    yield from fresh_lab(browser, server)


def run_steps(page, n: int) -> None:
    page.fill("#run-count", str(n))
    page.click("#run-btn")
    page.wait_for_function("(n) => document.getElementById('run-status').textContent"
                           ".startsWith(`Done after ${n}`)", arg=n, timeout=60_000)


def load_example(page, name: str) -> None:
    page.select_option("#example-select", name)
    page.click("#load-example")


def test_the_machine_list_switches_and_keeps_each_ones_work(lab):
    # (the list is drawn in its own animation frame after the page is ready)
    lab.wait_for_function("document.getElementById('machines-body').textContent"
                          ".includes('No machines yet')")
    load_example(lab, "ticket-triage")
    lab.wait_for_selector(".task-card[data-task='route']")
    run_steps(lab, 24)
    triage = state(lab)
    # Another machine: the loaded one has work, but loading another keeps it, so nothing is asked.
    load_example(lab, "sentiment")
    lab.wait_for_function("window.evomachine.state().then((s) => s.example === 'sentiment')")
    run_steps(lab, 6)
    # The list is redrawn once the run is saved (the status says "Done" a moment before).
    lab.wait_for_function("document.querySelectorAll('#machines-body tr').length === 2 && "
                          "document.querySelector('#machines-body tr td:nth-child(3)')"
                          ".textContent === '6'")
    current, kept = rows(lab)
    assert "loaded" in current and "6" in current
    assert "Ticket triage" in kept and "24" in kept and "route: LLM only" in kept
    lab.click("#machines-body button[data-open-machine='ticket-triage']")
    lab.wait_for_function("window.evomachine.state().then((s) => s.example === 'ticket-triage')")
    back = state(lab)
    for key in ("step_count", "input_cursor", "current_node", "dataset", "stages", "dsl"):
        assert back[key] == triage[key], key
    lab.wait_for_function("document.getElementById('run-position').textContent"
                          ".startsWith('24 steps')")
    lab.wait_for_function("document.querySelector('#machines-body tr').textContent"
                          ".includes('Ticket triage')")
    assert lab.locator("#example-select").input_value() == "ticket-triage"


def test_loading_over_a_run_asks_first(lab):
    steps = state(lab)["step_count"]
    assert steps == 24
    load_example(lab, "ticket-triage")  # the loaded machine itself: its run would start again
    dialog = lab.locator("#app-dialog")
    dialog.wait_for(state="visible")
    assert "Start Ticket triage again?" in dialog.inner_text()
    assert "24 steps" in dialog.inner_text()
    lab.click("#replace-cancel")
    dialog.wait_for(state="hidden")
    assert state(lab)["step_count"] == steps
    load_example(lab, "ticket-triage")
    lab.click("#replace-confirm")
    lab.wait_for_function("window.evomachine.state().then((s) => s.step_count === 0)")


def test_import_asks_first_and_keeps_the_other_machines(lab, tmp_path):
    lab.click("#reset-all")  # a fresh start: file A holds only ticket triage
    lab.click("#reset-confirm")
    lab.wait_for_function("window.evomachine.state().then((s) => !s.loaded)")
    load_example(lab, "ticket-triage")
    lab.wait_for_selector(".task-card[data-task='route']")
    run_steps(lab, 30)
    with lab.expect_download() as download:
        lab.click("#export-all")
    exported = tmp_path / "file-a.json"
    download.value.save_as(str(exported))
    load_example(lab, "sentiment")
    lab.wait_for_function("window.evomachine.state().then((s) => s.example === 'sentiment')")
    run_steps(lab, 40)
    dialog = lab.locator("#app-dialog")

    def pick() -> None:
        with lab.expect_file_chooser() as chooser:
            lab.click("#import-label")
        chooser.value.set_files(str(exported))
        dialog.wait_for(state="visible")

    pick()
    text = dialog.inner_text()
    assert "Ticket triage" in text and "30 steps" in text and "other machine stays" in text
    lab.click("#import-cancel")
    dialog.wait_for(state="hidden")
    assert state(lab)["example"] == "sentiment" and state(lab)["step_count"] == 40

    pick()
    lab.click("#import-confirm")
    lab.wait_for_function("window.evomachine.state().then((s) => s.example === 'ticket-triage' "
                          "&& s.step_count === 30)")
    lab.wait_for_function("document.querySelectorAll('#machines-body tr').length === 2 && "
                          "document.querySelector('#machines-body tr').textContent"
                          ".includes('Ticket triage')")
    current, kept = rows(lab)
    assert "Ticket triage" in current and "Review sentiment" in kept and "40" in kept
    lab.click("#machines-body button[data-open-machine]")
    lab.wait_for_function("window.evomachine.state().then((s) => s.example === 'sentiment' "
                          "&& s.step_count === 40)")


def test_delete_asks_first_and_removes_the_machine(lab):
    """Delete on a stored machine asks, Cancel keeps it, Delete removes it; the loaded one can
    be deleted with the keyboard, which leaves nothing loaded, also after a reload."""
    assert state(lab)["example"] == "sentiment"
    dialog = lab.locator("#app-dialog")
    lab.click("#machines-body button[data-delete-machine='ticket-triage']")
    dialog.wait_for(state="visible")
    assert "Delete Ticket triage?" in dialog.inner_text()
    lab.click("#delete-machine-cancel")
    dialog.wait_for(state="hidden")
    assert len(rows(lab)) == 2

    lab.click("#machines-body button[data-delete-machine='ticket-triage']")
    lab.click("#delete-machine-confirm")
    lab.wait_for_function("(t) => document.getElementById('toast').textContent.startsWith(t)",
                          arg="Deleted Ticket triage.")
    lab.wait_for_function("document.querySelectorAll('#machines-body tr').length === 1")
    assert "Review sentiment" in rows(lab)[0]
    assert lab.evaluate("document.activeElement.id") == "machines-title"
    assert state(lab)["step_count"] == 40  # the loaded machine did not move

    lab.focus("#machines-body button[data-delete-machine]")
    lab.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    assert "Delete Review sentiment?" in dialog.inner_text()
    assert "the machine loaded now" in dialog.inner_text()
    lab.focus("#delete-machine-confirm")
    lab.keyboard.press("Enter")
    lab.wait_for_function("(t) => document.getElementById('toast').textContent.startsWith(t)",
                          arg="Deleted Review sentiment; nothing is loaded now.")
    lab.wait_for_function("document.getElementById('machines-body').textContent"
                          ".includes('No machines yet')")
    assert state(lab)["loaded"] is False
    assert lab.evaluate("document.body.dataset.loaded") == "false"
    lab.reload()
    lab.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
    assert state(lab)["loaded"] is False
    assert lab.evaluate("window.evomachine.machines()") == []
