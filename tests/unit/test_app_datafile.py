"""The page's data file door: a file's bytes reach the lab through ``call_bytes``."""

from __future__ import annotations

import json

import pytest
from test_app import loaded_lab, value

pytestmark = pytest.mark.needs_event_loop


class FakeUint8Array:
    """What the engine Worker hands Python for a file: a JS typed array with ``to_bytes``."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def to_bytes(self) -> bytes:
        return self.raw


async def test_a_latin1_csv_loads_with_its_notice_kept_in_the_state():
    lab = await loaded_lab()
    raw = "text,label\nfacture erronée,billing\nl'appli plante,tech\n".encode("latin-1")
    reply = json.loads(await lab.call_bytes("load_data_file", json.dumps(["f.csv"]),
                                            FakeUint8Array(raw)))
    assert reply["ok"], reply
    dataset = reply["value"]["dataset"]
    assert (dataset["count"], dataset["encoding"]) == (2, "windows-1252")
    assert "not UTF-8 (byte 0xe9 on line 2)" in dataset["notice"]
    assert lab.records[0]["text"] == "facture erronée"
    assert (await value(lab, "state"))["dataset"]["notice"] == dataset["notice"]


async def test_ragged_rows_are_a_user_error_and_change_nothing():
    lab = await loaded_lab()
    before = lab.dataset
    reply = json.loads(await lab.call_bytes("load_data_file", json.dumps(["f.csv"]),
                                            b"text,label\na,b\nc\n"))
    assert (reply["ok"], reply["kind"]) == (False, "user")
    assert "cannot read f.csv: 1 row does not have the header's 2 columns: line 3" in \
        reply["error"]
    assert lab.dataset == before


async def test_only_byte_methods_take_bytes_and_they_are_not_page_methods():
    lab = await loaded_lab()
    for method, door in (("reset", lab.call_bytes), ("load_data_file", None)):
        if door is None:
            reply = json.loads(await lab.call(method, json.dumps(["x", "y"])))
        else:
            reply = json.loads(await door(method, "[]", b""))
        assert not reply["ok"] and "unknown lab method" in reply["error"]
