"""``Lab.check`` gives the editor its markers and the names it completes."""

from __future__ import annotations

import json
from pathlib import Path

from evomachine.app import Lab
from evomachine.app.views import MAX_NODE_NAMES
from evomachine.evolution.policy import EvolutionPolicy
from evomachine.storage import MemoryStorage

DSL = (Path(__file__).resolve().parents[2] / "examples" / "ticket-triage"
       / "ticket-triage.machine").read_text()


async def check(text: str) -> dict:
    reply = json.loads(await Lab(MemoryStorage()).call("check", json.dumps([text])))
    assert reply["ok"], reply
    return json.loads(reply["value"]) if isinstance(reply["value"], str) else reply["value"]


async def test_a_machine_that_parses_names_its_nodes_and_attributes():
    result = await check(DSL.replace('evolution_stage: "llm_only";',
                                     'evolution_stage: "llm_only"; colour: "red";'))
    assert result["ok"] is True
    assert result["names"]["nodes"] == ["ticket", "route", "billing", "tech", "sales"]
    attributes = result["names"]["attributes"]
    assert {"prompt", "output", "evolution_stage", "ground_truth", "colour"} <= set(attributes)
    assert set(EvolutionPolicy.model_fields) <= set(attributes)
    assert attributes == sorted(attributes)


async def test_a_broken_machine_still_offers_the_attributes_the_engine_reads():
    result = await check('machine "x"\nTask t {\n  prompt: "a"\n  output<"a">;\n}\n')
    assert result["ok"] is False
    assert result["errors"][0]["line"] == 3
    assert result["names"]["nodes"] == []
    assert "prompt" in result["names"]["attributes"]
    assert "colour" not in result["names"]["attributes"]


async def test_a_huge_machine_sends_a_bounded_list_of_node_names():
    states = "".join(f"State s{i}; s{i} -> t;\n" for i in range(MAX_NODE_NAMES + 50))
    result = await check('machine "x"\nTask t { prompt: "a"; }\n' + states)
    assert result["ok"] is True
    assert len(result["names"]["nodes"]) == MAX_NODE_NAMES
    assert "graph" not in result  # the diagram comes with the loaded state, not with each check
