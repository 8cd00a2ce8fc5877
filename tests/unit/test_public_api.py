"""The exported names are the public API: pin them."""

import evomachine

EXPECTED = {
    "__version__", "parse_machine", "format_machine", "DSLError", "MachineData",
    "MachineExecutor", "StepResult", "TaskResult", "EvolutionaryExecutor",
    "LLMRequest", "LLMResponse", "LLMError", "SimulatedLLM", "create_storage",
    "MemoryStorage", "LocalStorageBackend", "IndexedDBStorage", "SQLiteStorage",
    "MachinePersistence", "PatternLibrary", "Pattern",
}


def test_exported_names_are_pinned():
    assert set(evomachine.__all__) == EXPECTED


def test_version_is_a_string():
    assert isinstance(evomachine.__version__, str) and evomachine.__version__


def test_unknown_name_raises_attribute_error():
    try:
        evomachine.does_not_exist  # noqa: B018
    except AttributeError as error:
        assert "does_not_exist" in str(error)
    else:
        raise AssertionError("expected AttributeError")


_RAN: list[str] = []


async def test_async_tests_run():
    import asyncio

    await asyncio.sleep(0)
    _RAN.append("async body")


def test_the_async_test_above_really_ran():
    # pytest alone would not await a coroutine test: tests/conftest.py runs it
    assert _RAN == ["async body"]


def test_only_the_compat_door_imports_js_or_pyodide():
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "py_src" / "evomachine"
    door = re.compile(r"^\s*(import (js|pyodide)\b|from (js|pyodide)[\s.])", re.MULTILINE)
    found = [str(path.relative_to(package)) for path in package.rglob("*.py")
             if path.name != "_compat.py" and door.search(path.read_text())]
    assert found == []
