"""Red team rt11: hostile machine files, data files, stored runs and LLM answers on the
CPython side (the DSL, the CLI, patterns). Each test failed on the code before its fix."""

from __future__ import annotations

import json

import pytest
from test_cli import files, run  # noqa: F401  (the fixture)
from test_evolution_stages import TRIAGE

from evomachine.datafile import parse_records
from evomachine.dsl import DSLError, parse_machine
from evomachine.dsl.hints import text_hints
from evomachine.dsl.parser import MAX_EXTRA_EDGES


def machine_with(task_lines: str, tail: str = "i -> t;") -> str:
    return f'machine "m"\nInput i;\nTask t {{\n{task_lines}\n}}\n{tail}\n'


def refused(text: str) -> str:
    with pytest.raises(DSLError) as caught:
        parse_machine(text)
    return str(caught.value)


def test_an_edge_statement_of_millions_of_edges_is_refused_as_it_is_read():
    """2,000 names on each side of one arrow: 44 KB of text, 4 million edges, 3.8 GB, then
    a SystemError."""
    names = ", ".join(f"n{i}" for i in range(2000))
    text = 'machine "f"\n' + "".join(f"State n{i};\n" for i in range(2000)) + \
        f"{names} -> {names};\n"
    said = refused(text)
    assert ("2,000 × 2,000 names make 4,000,000 edges here; a machine's edge lists may make "
            f"at most {MAX_EXTRA_EDGES:,} edges more than the names they write") in said
    fine = ", ".join(f"n{i}" for i in range(100))  # 10,000 edges, 9,800 beyond the 200 names
    parse_machine('machine "f"\n' + "".join(f"State n{i};\n" for i in range(100)) +
                  f"{fine} -> {fine};\n")
    # edges written one by one are not capped: they grow with the text
    many = parse_machine('machine "f"\nState a;\n' + "".join(
        f"State s{i}; a -> s{i};\n" for i in range(20_000)))
    assert len(many.edges) == 20_000


def test_a_prompt_past_100000_characters_is_refused_before_jinja_reads_it():
    """1.4 MB of ``{{ a }}`` took jinja 10 s and 1.8 GB; 3.2 MB, a minute in the CLI."""
    said = refused(machine_with('prompt: "' + "{{ input.text }}" * 20_000 + '";'))
    assert "the prompt is 320,000 characters long; at most 100,000 are accepted" in said
    parse_machine(machine_with('prompt: "' + "{{ input.text }}" * 6_000 + '";'))


@pytest.mark.parametrize(("literal", "message"), [
    ("1" * 5000, "number of 5,000 digits is too large"),
    ("1e999", "number '1e999' is too large"),
    ("0" * 4400 + "1", "number of 4,401 digits is too large"),  # leading zeros count too
])
def test_numbers_no_setting_can_hold_are_dsl_errors_at_their_place(literal, message):
    """A 5,000-digit integer was Python's raw ValueError (the editor got no line); ``1e999``
    loaded as infinity, which ``format_machine`` cannot write back."""
    said = refused(machine_with(f'prompt: "x"; max_disagreement: {literal};'))
    assert said.startswith("4:32: " + message), said


def test_an_answer_no_edge_takes_is_warned_of():
    text = TRIAGE % "llm_only"
    assert not text_hints(text)
    without = text.replace("route -sales-> sales;\n", "")
    [hint] = text_hints(without)
    assert "task 'route' can answer 'sales', but no edge leaving it" in hint.message
    assert not text_hints(without.replace("route -tech-> tech;", "route -> tech;"))


@pytest.mark.needs_event_loop  # the CLI drives its run with asyncio.run
def test_an_answer_no_edge_takes_stops_the_cli_run_cleanly_and_keeps_what_ran(files):  # noqa: F811
    """It was an uncaught ExecutionError: no report, no traces, the steps since the last
    write lost, and each resume crashed again at the same record."""
    machine, data, tmp = files
    machine.write_text((TRIAGE % "llm_only").replace("route -sales-> sales;\n", ""))
    report, traces, store = tmp / "r.json", tmp / "t.jsonl", f"sqlite:{tmp / 'run.db'}"
    code, _out, err = run(["evolve", str(machine), "--data", str(data), "--steps", "900",
                           "--quiet", "--store", store, "--report", str(report),
                           "--traces", str(traces)])
    assert code == 1, err
    assert "can answer 'sales', but no edge" in err  # warned before the run
    assert "error: the run stopped after" in err and "no outgoing edge matches" in err
    steps = json.loads(report.read_text())["steps"]
    assert 0 < steps < 900 and len(traces.read_text().splitlines()) >= steps // 3
    # the fixed machine is not the stored one: resuming would run the old one again
    machine.write_text(TRIAGE % "llm_only")
    code, _out, said = run(["evolve", str(machine), "--data", str(data), "--store", store])
    assert code == 2 and "it was changed since. --fresh starts it afresh" in said
    code, _out, err = run(["evolve", str(machine), "--data", str(data), "--store", store,
                           "--fresh", "--steps", "30", "--quiet"])
    assert code == 0, err


@pytest.mark.needs_event_loop  # the CLI drives its run with asyncio.run
def test_an_unchanged_machine_resumes_identifier_values_and_all(files):  # noqa: F811
    """Found by review: identifier values (``team: support;``) came back from the store as
    dicts, so the changed-machine check refused every resume of such a machine."""
    machine, data, tmp = files
    machine.write_text((TRIAGE % "llm_only").replace(
        "Task route {", "Task route {\n    team: support; tags: [fast, 2]; mode: {speed: fast};"))
    store = f"sqlite:{tmp / 'run.db'}"
    argv = ["evolve", str(machine), "--data", str(data), "--store", store, "--steps", "30",
            "--quiet"]
    assert run(argv)[0] == 0
    code, _out, err = run(argv)
    assert code == 0 and "resuming 'ticket-triage'" in err, err


@pytest.mark.needs_event_loop  # the CLI drives its run with asyncio.run
def test_machine_files_in_other_encodings_say_so_and_a_byte_order_mark_is_read(files):  # noqa: F811
    machine, data, _tmp = files
    text = TRIAGE % "llm_only"
    machine.write_bytes(text.encode("utf-16"))
    code, _out, said = run(["evolve", str(machine), "--data", str(data), "--steps", "3"])
    assert code == 2 and "is not UTF-8 text (byte 0" in said
    machine.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert run(["evolve", str(machine), "--data", str(data), "--steps", "3", "--quiet"])[0] == 0


def test_json_lines_split_at_newlines_only():
    """U+2028, U+2029 and U+0085 are legal inside JSON strings; ``splitlines`` cut there."""
    text = '{"text": "a\u2028b\u2029c\u0085d"}\r\n\n{"text": "e"}\n'
    assert parse_records(text, filename="d.jsonl") == [{"text": "a\u2028b\u2029c\u0085d"},
                                                       {"text": "e"}]
    assert parse_records('{"a": 1}\r{"a": 2}\r', filename="d.jsonl") == [{"a": 1}, {"a": 2}]


def test_traces_table_cells_escape_terminal_controls():
    """An answer holding ``ESC ] 52`` wrote the terminal's clipboard through ``traces``."""
    from evomachine.cli_traces import _cut

    assert _cut("\x1b]52;c;cHduZWQ=\x07clip\x9b") == "\\x1b]52;c;cHduZWQ=\\x07clip\\x9b"


@pytest.mark.needs_event_loop  # the CLI drives its run with asyncio.run
def test_csv_traces_to_a_terminal_escape_controls_and_to_a_file_keep_them(files):  # noqa: F811
    """Found by review: only the table escaped them; ``--format csv`` to a terminal wrote
    ``ESC ] 52`` as it was."""
    import asyncio
    import io

    from evomachine import cli, cli_traces

    machine, data, tmp = files
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    data.write_text("".join(json.dumps({**r, "label": r["label"] + "\x1b]0;t\x07"}) + "\n"
                            for r in rows[:5]) + "".join(json.dumps(r) + "\n" for r in rows[5:]))
    machine.write_text((TRIAGE % "llm_only").replace('output<"billing" | "tech" | "sales">',
                                                      "output<string>").replace(
        "route -billing-> billing;", "route -> billing;").replace(
        "route -tech-> tech;\nroute -sales-> sales;\n", ""))
    store = f"sqlite:{tmp / 'run.db'}"
    run(["evolve", str(machine), "--data", str(data), "--store", store, "--steps", "15",
         "--quiet"])

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = {}
    for name, sink in (("terminal", Terminal()), ("pipe", io.StringIO())):
        args = cli.build_parser().parse_args(["traces", str(machine), "--store", store,
                                              "--format", "csv"])
        assert asyncio.run(cli_traces.run(args, sink, io.StringIO(), fail=cli.CLIError)) == 0
        shown[name] = sink.getvalue()
    assert "\x1b" not in shown["terminal"] and "\\x1b]0;t\\x07" in shown["terminal"]
    assert "\x1b]0;t\x07" in shown["pipe"]


async def test_a_stored_patterns_odd_output_schema_is_no_crash():
    """``{"properties": {"output": "zzz"}}`` was an AttributeError on import."""
    from evomachine.persistence.patterns import _output_enum

    assert _output_enum({"properties": {"output": "zzz"}}) is None
    assert _output_enum({"properties": {"output": {"enum": ["a"]}}}) == ["a"]

