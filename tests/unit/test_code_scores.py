"""View code's score table (web/lab/code-scores.mjs) under Node, on the last synthesis the lab
reports: its winner is marked installed only when it wrote the code shown.

Found by a newcomer's tour: "winner linear · held-out agreement 87.9%" above "linear ✓ 90.9%",
the ✓ on a synthesis that was not installed; then by review: a synthesis that wrote nothing
carried no mark to tell, and a pattern imported since was taken for an earlier synthesis."""

from __future__ import annotations

import pytest
from page_modules import call_page_function
from test_app import loaded_lab, run, value

pytestmark = pytest.mark.cpython_only


def caption(last: dict, version: str) -> dict:
    return call_page_function("lab/code-scores.mjs", "scoresCaption", last, version)


async def test_the_winner_is_marked_only_where_its_synthesis_wrote_the_code_shown():
    lab = await loaded_lab()
    await run(lab, 3000, "hybrid")
    code = await value(lab, "code", "route")
    shown = caption(code["last_synthesis"], code["version"])
    assert shown["mark"] == " ✓" and "at the synthesis that wrote v1" in shown["caption"]
    await run(lab, 150)  # a later synthesis (execution 100) answers no more: not installed
    code = await value(lab, "code", "route")
    assert code["version"] == "v1" and code["last_synthesis"]["installed_version"] is None
    shown = caption(code["last_synthesis"], code["version"])
    assert shown["mark"] == " (its best, not the code shown)"
    assert "whose best was not installed: v1 came before it" in shown["caption"]
    await value(lab, "save_pattern", "route", "router", "")
    await value(lab, "import_pattern", "router", "route", None)  # v2, from the pattern
    code = await value(lab, "code", "route")
    assert code["version"] == "v2"
    shown = caption(code["last_synthesis"], code["version"])
    assert "the code shown, v2, was installed after it from elsewhere" in shown["caption"]
    assert code["last_synthesis"]["replaced_by"] == 2


def test_a_run_saved_before_the_mark_was_kept_claims_nothing():
    shown = caption({"at": 100, "scores": {}}, "v3")
    assert shown == {"caption": "Held-out scores of each synthesizer at the last synthesis "
                                "(execution 100)", "mark": " ✓"}
