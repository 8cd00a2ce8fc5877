"""PatternLibrary: save, best version, list, search, import into an executor, JSON files."""

from __future__ import annotations

import json

import pytest
from storage_conformance import FakeWebStorage
from test_persistence import FakeExecutor

from evomachine import Pattern, PatternLibrary
from evomachine.persistence import PatternNotFoundError
from evomachine.storage import LocalStorageBackend, MemoryStorage

CODE = "def execute(input, context):\n    return {'output': 'tech', 'confidence': 0.9}\n"


def make(name="classifier", version="v1", success=0.9, count=100, saved_at=1.0, **extra):
    return Pattern(name=name, version=version, code=CODE, saved_at=saved_at,
                   description=extra.pop("description", "Classifies text into categories"),
                   performance_metrics={"avg_execution_time_ms": 5, "success_rate": success,
                                        "cost_per_execution": 0.0, "execution_count": count},
                   trained_on={"machine_id": "triage", "task_name": "route",
                               "training_samples": count}, **extra)


async def test_save_and_get_exact_and_best_version():
    library = PatternLibrary(MemoryStorage())
    await library.save_pattern(make(version="v1", success=0.80, saved_at=1))
    await library.save_pattern(make(version="v2", success=0.95, saved_at=2))
    await library.save_pattern(make(version="v3", success=0.90, saved_at=3))
    assert (await library.get_pattern("classifier")).version == "v2"
    assert (await library.get_pattern("classifier", "v3")).performance_metrics.success_rate == 0.9
    assert await library.get_pattern("classifier", "v9") is None
    assert await library.get_pattern("unknown") is None


async def test_ties_on_success_rate_go_to_experience_then_newest():
    library = PatternLibrary(MemoryStorage())
    await library.save_pattern(make(version="a", success=0.9, count=10, saved_at=1))
    await library.save_pattern(make(version="b", success=0.9, count=500, saved_at=2))
    await library.save_pattern(make(version="c", success=0.9, count=500, saved_at=3))
    assert (await library.get_pattern("classifier")).version == "c"


async def test_the_seed_shape_is_accepted_as_a_dict():
    library = PatternLibrary(MemoryStorage())
    saved = await library.save_pattern({
        "name": "text_classifier", "description": "Classifies text", "version": "v1",
        "code": CODE,
        "performance_metrics": {"avg_execution_time_ms": 50, "success_rate": 0.95,
                                "cost_per_execution": 0.005, "execution_count": 1000},
        "trained_on": {"machine_id": "classifier-machine", "task_name": "classify",
                       "training_samples": 1000},
    })
    assert saved.stage == "hybrid" and saved.input_schema is None
    assert await library.get_pattern("text_classifier") == saved


def test_invalid_patterns_are_rejected():
    with pytest.raises(ValueError, match="must not be blank"):
        make(name=" ")
    with pytest.raises(ValueError):
        make(success=1.5)
    with pytest.raises(ValueError):
        make(stage="super_code")


async def test_names_that_prefix_each_other_do_not_mix():
    library = PatternLibrary(MemoryStorage())
    await library.save_pattern(make(name="a", success=0.1))
    await library.save_pattern(make(name="a_b", success=0.99))
    assert (await library.get_pattern("a")).name == "a"
    assert [p.name for p in await library.versions("a")] == ["a"]


async def test_list_and_search():
    library = PatternLibrary(MemoryStorage())
    await library.save_pattern(make(name="sentiment", description="Positive or negative",
                                    success=0.7))
    await library.save_pattern(make(name="spam_filter", description="Spam or ham in e-mail",
                                    success=0.9, synthesizer="classifier"))
    await library.save_pattern(make(name="spam_filter", version="v2", description="Spam v2",
                                    success=0.6))
    await library.save_pattern(make(name="router", description="Route spam tickets",
                                    success=0.95))
    names = [(p.name, p.version) for p in await library.list_patterns()]
    assert names == [("router", "v1"), ("sentiment", "v1"), ("spam_filter", "v1"),
                     ("spam_filter", "v2")]
    found = await library.search("SPAM")
    assert [p.name for p in found] == ["spam_filter", "router"]  # name match ranks first
    assert found[0].version == "v1"  # best version of each name
    assert [p.name for p in await library.search("spam tickets")] == ["router"]
    # Every pattern was trained on task "route": the name match first, then by success rate.
    assert [p.name for p in await library.search("route")] == [
        "router", "spam_filter", "sentiment"]
    assert await library.search("nothing-like-this") == []
    assert len(await library.search("")) == 3


async def test_import_pattern_installs_code_at_the_earned_stage():
    library = PatternLibrary(MemoryStorage())
    await library.save_pattern(make(stage="code_first", output_schema={"enum": ["tech"]}))
    executor = FakeExecutor()
    executor.run_some(20)
    result = await library.import_pattern(executor, "classifier", "route")
    assert executor.installed == [("route", CODE, "code_first", "pattern:classifier@v1")]
    assert result == {"agreement": 0.95, "checked": 20, "installed_stage": "code_first",
                      "pattern": "classifier", "version": "v1"}
    mutation = executor.get_mutations()[-1]
    assert mutation["type"] == "pattern_import"
    assert mutation["data"]["stage_earned"] == "code_first"
    assert mutation["data"]["installed_stage"] == "code_first"


async def test_import_pattern_reports_a_lowered_stage():
    library = PatternLibrary(MemoryStorage())
    await library.save_pattern(make(stage="code_only"))
    executor = FakeExecutor()
    executor.agreement = 0.4
    result = await library.import_pattern(executor, "classifier", "route")
    assert result["installed_stage"] == "hybrid"
    assert executor.get_mutations()[-1]["data"]["installed_stage"] == "hybrid"


async def test_import_pattern_errors_name_what_exists():
    library = PatternLibrary(MemoryStorage())
    executor = FakeExecutor()
    with pytest.raises(PatternNotFoundError, match="library is empty"):
        await library.import_pattern(executor, "classifier", "route")
    await library.save_pattern(make(output_schema={"enum": ["tech", "legal"]}))
    with pytest.raises(PatternNotFoundError, match="saved patterns: classifier"):
        await library.import_pattern(executor, "nope", "route")
    with pytest.raises(ValueError, match=r"no Task 'billing' \(its tasks: route\)"):
        await library.import_pattern(executor, "classifier", "billing")
    with pytest.raises(ValueError, match=r"can output \['legal'\]"):
        await library.import_pattern(executor, "classifier", "route")
    assert executor.installed == []


async def test_patterns_export_and_import_as_json():
    source = PatternLibrary(MemoryStorage())
    await source.save_pattern(make(version="v1", input_schema={"type": "object"}))
    await source.save_pattern(make(name="other", version="2", synthesizer="lookup"))
    text = await source.export_json()
    assert json.loads(text)["format"] == "evomachine.patterns"
    target = PatternLibrary(LocalStorageBackend(web_storage=FakeWebStorage()))
    imported = await target.import_json(text)
    assert [p.name for p in imported] == ["classifier", "other"]
    assert await target.list_patterns() == await source.list_patterns()
    with pytest.raises(ValueError, match="malformed"):
        await target.import_json('{"format": "evomachine.patterns", "patterns": [{"name": 1}]}')


async def test_library_exports_and_imports_whole_machines():
    storage = MemoryStorage()
    library = PatternLibrary(storage)
    executor = FakeExecutor()
    version = await library.machines.save_version(executor, "triage")
    text = await library.export_machine("triage")
    other = PatternLibrary(MemoryStorage())
    assert await other.import_machine(text) == "triage"
    assert [v.id for v in await other.machines.list_versions("triage")] == [version]
