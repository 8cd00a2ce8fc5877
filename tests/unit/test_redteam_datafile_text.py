"""A data file's JSON that escapes a lone surrogate (``"\\ud800"``) is refused with its line.

JSON may write ``\\ud800`` alone; Python reads it as a lone surrogate, which is not
Unicode text: the records loaded, then storing them in SQLite (the CLI's storage) raised
a raw ``UnicodeEncodeError: surrogates not allowed``. A pair (an escaped emoji) is text.
"""

from __future__ import annotations

import pytest

from evomachine.datafile import DataError, parse_records


@pytest.mark.parametrize("text", [
    '{"text": "fine"}\n{"text": "\\ud800 alone"}\n',
    '[{"text": "fine"}, {"text": {"deep": ["\\udfff"]}}]',
    '{"text": "x", "\\udbff": 1}\n',
])
def test_a_lone_surrogate_is_a_data_error_naming_where(text):
    with pytest.raises(DataError, match="surrogate") as caught:
        parse_records(text, "jsonl")
    assert "line 2" in str(caught.value) or "record 2" in str(caught.value) or \
        "line 1" in str(caught.value)


def test_an_escaped_pair_is_ordinary_text():
    records = parse_records('{"text": "\\ud83d\\ude00 \\u00e9"}\n', "jsonl")
    assert records == [{"text": "\U0001f600 é"}]
    (records[0]["text"]).encode("utf-8")


@pytest.mark.cpython_only
async def test_a_lone_surrogate_from_elsewhere_is_stored_and_read_back(tmp_path):
    """An LLM answer or an imported value can hold one too: SQLite stores it escaped."""
    from evomachine.storage.sqlite import SQLiteStorage

    storage = SQLiteStorage(str(tmp_path / "x.db"))
    await storage.put("meta", "k", {"output": "\ud800 half", "ok": "é"})
    assert await storage.get("meta", "k") == {"output": "\ud800 half", "ok": "é"}
