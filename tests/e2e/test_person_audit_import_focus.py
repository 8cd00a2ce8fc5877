"""Import by keyboard: Tab from Export lands on Import's (visually hidden) file input, and the
Import button shows the focus ring every other control shows. It showed none: a person moving
with Tab saw focus vanish between Export and Reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def outline(page: Page, selector: str) -> str:
    return page.evaluate("(s) => getComputedStyle(document.querySelector(s)).outlineStyle",
                         selector)


def test_tab_to_import_shows_where_the_focus_is(lab: Page):
    lab.focus("#export-all")
    lab.keyboard.press("Tab")
    assert lab.evaluate("document.activeElement.id") == "import-file"
    assert outline(lab, "#import-label") == "solid"
    lab.keyboard.press("Tab")
    assert lab.evaluate("document.activeElement.id") == "reset-all"
    assert outline(lab, "#import-label") == "none"
