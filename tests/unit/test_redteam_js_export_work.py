"""Exporting a stacked module reads the module's statements once, however many layers.

A stacked module nests up to MAX_DEPTH (8) levels: a hostile (imported) one can name
2**8 leaf layers and every layer looked its constants up by walking all the module's
statements again: 511 walks over up to 1,000,000 characters of statements, seconds of
the page engine's time for one "Download .mjs". Counted here, not timed.
"""

from __future__ import annotations

import ast

import pytest

from evomachine.evolution.synthesis import render_js as rj


class CountingBody(list):
    walks = 0

    def __iter__(self):
        CountingBody.walks += 1
        return super().__iter__()


def stacked_source(depth: int) -> str:
    """A stacked module whose every layer is stacked down to ``depth``, leaves exact lookups."""
    lines = ["TASK = 't'", "VERSION = 'v1'", "SYNTHESIZER = 'stacked'", "OUTPUT_VALUES = None"]

    def layer(prefix: str, level: int) -> None:
        if level == depth:
            lines.extend([f"{prefix}TASK = 't'", f"{prefix}VERSION = 'v1'",
                          f"{prefix}SYNTHESIZER = 'exact_lookup'", f"{prefix}LABELS = ('a', 'b')",
                          f"{prefix}CALIBRATION = ((0.0, 0.5),)", f"{prefix}DEFAULT = 0",
                          f"{prefix}TABLE = {{'x': [1, 1.0]}}"])
            return
        lines.extend([f"{prefix}SYNTHESIZER = 'stacked'", f"{prefix}BASE_CUT = 0.5",
                      f"{prefix}TOP_CUT = 0.5", f"{prefix}DECLINED = 0.4"])
        layer(prefix + "A_", level + 1)
        layer(prefix + "B_", level + 1)

    layer("", 0)
    return "\n".join(lines) + "\n"


def test_a_deeply_stacked_module_is_read_in_one_walk(monkeypatch):
    parse = rj.parse

    def counted(code: str) -> ast.Module:
        tree = parse(code)
        tree.body = CountingBody(tree.body)
        return tree

    monkeypatch.setattr(rj, "parse", counted)
    CountingBody.walks = 0
    text = rj.render_js(stacked_source(4))
    assert "layerBBBB" in text and text.count("function layer") == 31
    assert CountingBody.walks <= 2


@pytest.mark.parametrize("depth", [1, 3])
def test_stacked_modules_still_export(depth):
    assert "export function execute" in rj.render_js(stacked_source(depth))
