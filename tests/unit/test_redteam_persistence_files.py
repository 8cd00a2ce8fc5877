"""Machine and pattern files (the CLI's import) that are malformed get a ValueError naming
the problem, never a raw TypeError/OverflowError, and nothing is written.

Found: ``format_version`` as a list, null or 1e309 (read as infinity) raised TypeError or
OverflowError from ``int()``; ``patterns`` as a number raised "'int' object is not iterable".
"""

from __future__ import annotations

import json

import pytest

from evomachine.persistence import MachinePersistence, PatternLibrary
from evomachine.storage import MemoryStorage

BAD_VERSIONS = [[1], None, {}, "x", True]


@pytest.mark.parametrize("version", BAD_VERSIONS)
async def test_a_pattern_file_with_a_bad_format_version_is_a_value_error(version):
    storage = MemoryStorage()
    text = json.dumps({"format": "evomachine.patterns", "format_version": version,
                       "patterns": []})
    with pytest.raises(ValueError, match="format_version"):
        await PatternLibrary(storage).import_json(text)
    assert await storage.items("patterns") == []


async def test_an_infinite_format_version_is_a_value_error():
    text = '{"format": "evomachine.machine", "format_version": 1e309, "machine_id": "m"}'
    with pytest.raises(ValueError, match="format_version"):
        await MachinePersistence(MemoryStorage()).import_machine(text)


@pytest.mark.parametrize("patterns", [5, "abc", {"a": 1}, None])
async def test_patterns_that_are_not_a_list_are_a_value_error(patterns):
    storage = MemoryStorage()
    text = json.dumps({"format": "evomachine.patterns", "format_version": 1,
                       "patterns": patterns})
    with pytest.raises(ValueError, match="patterns"):
        await PatternLibrary(storage).import_json(text)
    assert await storage.items("patterns") == []


async def test_a_well_formed_pattern_file_still_imports():
    storage = MemoryStorage()
    text = json.dumps({"format": "evomachine.patterns", "format_version": 1,
                       "patterns": [{"name": "p", "code": "x = 1\n"}]})
    assert [p.name for p in await PatternLibrary(storage).import_json(text)] == ["p"]
