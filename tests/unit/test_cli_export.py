"""``evomachine export-js``: a stored run's task code as .py, .mjs and .d.ts; the .mjs under
Node answers every kept history input as the .py does."""

from __future__ import annotations

import io
import json

import pytest
from test_cli import files, run  # noqa: F401  (the fixture)
from test_js_export import run_node

from evomachine import cli, cli_export
from evomachine.sandbox import load_module

pytestmark = [pytest.mark.needs_event_loop, pytest.mark.cpython_only]


def export(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    args = cli.build_parser().parse_args(argv)
    try:
        code = cli.asyncio.run(cli_export.run(args, io.StringIO(), err, fail=cli.CLIError))
    except cli.CLIError as error:
        return 2, str(error)
    return code, err.getvalue()


def test_a_stored_tasks_code_exports_and_agrees_under_node(files):  # noqa: F811
    machine, data, tmp = files
    store = f"sqlite:{tmp / 'run.db'}"
    base = ["export-js", str(machine), "--store", store]
    code, error = export([*base, "--task", "route", "--out", str(tmp / "js")])
    assert code == 2 and "run evolve --store first" in error
    kept = tmp / "kept.jsonl"
    assert run(["evolve", str(machine), "--data", str(data), "--store", store, "--steps", "900",
                "--quiet", "--traces", str(kept)])[0] == 0
    assert export([*base, "--task", "nope"]) == (2, "no task 'nope'; tasks: route")
    code, said = export([*base, "--task", "route", "--out", str(tmp / "js")])
    assert code == 0 and said.startswith("wrote ")
    py, mjs, dts = (sorted((tmp / "js").glob(f"*{suffix}"))[0] for suffix in (".py", ".mjs",
                                                                               ".d.ts"))
    assert "export type Input = {" in dts.read_text() and '"text": string;' in dts.read_text()
    module = load_module(py.read_text(), py.name)
    inputs = [json.loads(line)["input"] for line in kept.read_text().splitlines()]
    assert len(inputs) == 300
    found = run_node(mjs.read_text(), inputs, tmp)
    for input, (output, confidence, _raw, _again) in zip(inputs, found, strict=True):
        expected = module.execute(input, {})
        assert (output, confidence) == (expected["output"], expected["confidence"])


async def test_the_page_method_gives_the_module_and_its_types_once_there_is_code(tmp_path):
    from test_app import call, loaded_lab, value
    from test_app import run as run_lab

    lab = await loaded_lab()
    early = await call(lab, "code_js", "route")
    assert not early["ok"] and "no generated code yet" in early["error"]
    await run_lab(lab, 300)
    found = await value(lab, "code_js", "route")
    code = await value(lab, "code", "route")
    assert found["filename"] == code["filename"].removesuffix(".py") + ".mjs"
    assert found["types_filename"].endswith(".d.ts") and "export type Output" in found["types"]
    module = load_module(code["source"], code["filename"])
    rows = (await value(lab, "traces", "route", "all", "", 0, 100))["rows"]
    inputs = [(await value(lab, "trace", "route", row["seq"]))["input"] for row in rows]
    answers = run_node(found["text"], inputs, tmp_path)
    assert [[a[0], a[1]] for a in answers] == [
        [module.execute(item, {})["output"], module.execute(item, {})["confidence"]]
        for item in inputs]


def _tamper(db, **task: str) -> None:
    """Set fields of task route in the run stored in ``db`` ({code}: the code first stored)."""
    import sqlite3

    with sqlite3.connect(db) as connection:
        [value] = connection.execute("select value from kv where namespace='state'").fetchone()
        doc = json.loads(value)
        route = doc["tasks"]["route"]
        route.setdefault("first_code", route["code"])
        for key, text in task.items():
            route[key] = text.format(code=route["first_code"])
        connection.execute("update kv set value=? where namespace='state'", (json.dumps(doc),))


def test_a_tampered_store_names_no_file_and_runs_nothing(files):  # noqa: F811
    """Red team (rt11): a stored ``code_path`` of ``conftest.py`` made export-js replace the
    user's conftest.py with stored code that ran ``os.system`` under pytest."""
    machine, data, tmp = files
    db = tmp / "run.db"
    base = ["export-js", str(machine), "--store", f"sqlite:{db}", "--task", "route"]
    assert run(["evolve", str(machine), "--data", str(data), "--store", f"sqlite:{db}",
                "--steps", "900", "--quiet"])[0] == 0
    out = tmp / "project"
    out.mkdir()
    (out / "conftest.py").write_text("# mine\n")
    _tamper(db, code_path="generated/x/conftest.py",
            code="{code}\nimport os\nos.system('touch pwned')\n")
    code, said = export([*base, "--out", str(out)])
    assert code == 2 and "import of 'os' is not allowed" in said, said
    assert sorted(p.name for p in out.iterdir()) == ["conftest.py"]
    assert (out / "conftest.py").read_text() == "# mine\n"
    _tamper(db, code_path="generated/x/conftest.py", code="{code}")
    code, said = export([*base, "--out", str(out)])
    assert code == 0 and "conftest" not in said and "route_v" in said, said
    names = sorted(p.name for p in out.iterdir())
    assert names[0] == "conftest.py" and len(names) == 4
    assert (out / "conftest.py").read_text() == "# mine\n"
    code, said = export([*base, "--out", str(out)])  # the same names again
    assert code == 2 and "already there: --force replaces" in said
    assert export([*base, "--out", str(out), "--force"])[0] == 0
