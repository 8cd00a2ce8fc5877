"""The Pyodide layer starts as soon as collection selects it, and runs beside the others.

It runs the unit tests inside Pyodide under Node (about two minutes on one core) and needs
nothing from the other layers, so its Node process is started here, after collection, and
the test (``test_unit_tests_in_pyodide.py``) reads its result when pytest reaches it. On a
2-core machine it overlaps the CPython unit layer instead of following it.
"""

from __future__ import annotations

import pytest
from test_unit_tests_in_pyodide import PYODIDE_RUN, TEST_NAME, PyodideRun


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.collectonly or not any(item.name == TEST_NAME for item in items):
        return
    config.stash[PYODIDE_RUN] = PyodideRun.start("tests/unit")


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(PYODIDE_RUN, None)
    if run is not None:
        run.stop()
