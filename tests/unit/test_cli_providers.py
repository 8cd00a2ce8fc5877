"""``evolve`` with real providers: a local OpenAI-compatible server, keys from the environment."""

from __future__ import annotations

import json
import re

import pytest
from llm_fake_server import FakeLLMServer
from test_cli import files as files_fixture
from test_cli import run

from evomachine import cli, cli_llm

pytestmark = [pytest.mark.needs_event_loop, pytest.mark.cpython_only]

SECRET = "sk-test-SECRET-cli-0123456789"
files = files_fixture


@pytest.fixture
def server():
    server = FakeLLMServer(answer="billing").start()
    yield server
    server.stop()


def test_openai_compatible_server_with_a_key_from_the_environment(files, server, monkeypatch):
    machine, data, tmp = files
    monkeypatch.setenv("MY_KEY", SECRET)
    report = tmp / "report.json"
    code, out, err = run(["evolve", str(machine), "--data", str(data), "--steps", "60",
                          "--provider", "openai", "--model", "tiny", "--base-url",
                          server.base_url + "/v1", "--api-key-env", "MY_KEY",
                          "--concurrency", "4", "--report", str(report), "--quiet"])
    assert code == 0, err
    assert out.splitlines()[2].split()[:3] == ["route", "llm_only", "20"]
    assert server.requests and all(h["authorization"] == f"Bearer {SECRET}"
                                   for _, h, _ in server.requests)
    assert all(body["model"] == "tiny" for _, _, body in server.requests)
    saved = report.read_text(encoding="utf-8")
    assert SECRET not in out + err + saved
    data_out = json.loads(saved)
    assert data_out["llm"]["api_key_set"] is True and data_out["concurrency"] == 4
    assert data_out["llm"]["limits"]["max_concurrency"] == 4
    # "tiny" has no price: its calls count $0, and the run says so (a newcomer's tour saw a
    # paid model's run bill $0 without a word); a price for it silences that
    assert "warning: no price is known for model 'tiny'" in err
    prices = tmp / "prices.json"
    prices.write_text('{"tiny": [0.1, 0.4]}', encoding="utf-8")
    code, out, err = run(["evolve", str(machine), "--data", str(data), "--steps", "6",
                          "--provider", "openai", "--model", "tiny", "--base-url",
                          server.base_url + "/v1", "--api-key-env", "MY_KEY", "--quiet",
                          "--prices", str(prices)])
    assert code == 0 and "no price" not in err, err


def test_presets_need_no_key_and_point_at_the_usual_address(monkeypatch):
    args = cli_llm_args(["--preset", "ollama", "--model", "llama3.2"])
    llm = cli_llm.real_provider(args, environ={})
    assert llm.base_url == "http://localhost:11434/v1" and not llm.has_api_key
    args = cli_llm_args(["--preset", "vllm", "--model", "m", "--base-url", "http://gpu:9000/v1"])
    assert cli_llm.real_provider(args, environ={}).base_url == "http://gpu:9000/v1"


def test_missing_key_names_the_variable_and_no_flag_takes_a_key(files, monkeypatch, capsys):
    machine, data, _ = files
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, _, message = run(["evolve", str(machine), "--data", str(data), "--provider",
                            "anthropic", "--model", "claude-sonnet-4"])
    assert code == 2 and "ANTHROPIC_API_KEY" in message
    for flag in ("--api-key", "--api-key-e"):  # no flag, nor a prefix of one, takes a key
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["evolve", str(machine), "--data", str(data),
                                           flag, SECRET])
        if flag == "--api-key":  # refused without repeating it (argparse echoes unknown flags)
            assert SECRET not in capsys.readouterr().err
    code, _, message = run(["evolve", str(machine), "--data", str(data), "--provider", "openai",
                            "--model", "m", "--api-key-env", SECRET])
    assert code == 2 and SECRET not in message and "name of an environment variable" in message


def test_prices_file_is_checked_and_used(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text('{"tiny": [1.5, 3]}', encoding="utf-8")
    assert cli_llm.load_prices(prices).price_for("tiny-2025").input_per_mtok == 1.5
    prices.write_text('{"tiny": [-1, 3]}', encoding="utf-8")
    with pytest.raises(cli_llm.ProviderError, match="both >= 0"):
        cli_llm.load_prices(prices)


def test_concurrency_gives_the_sequential_outcome(files):
    """The same stages, executions and accuracy; the calls and cost of K = 8 add the requests
    sent ahead that no execution took, and the table says so (the provider bills them)."""
    machine, data, _ = files
    tables = []
    for k in ("1", "8"):
        code, out, _ = run(["evolve", str(machine), "--data", str(data), "--steps", "600",
                            "--seed", "2", "--concurrency", k, "--quiet"])
        assert code == 0
        tables.append([line for line in out.splitlines() if " steps in " not in line])
    sequential, concurrent = tables
    wasted = [line for line in concurrent if "sent ahead (concurrency) were not needed" in line]
    assert len(wasted) == 1 and len(concurrent) == len(sequential) + 1
    assert [line for line in concurrent if line not in wasted][:2] == sequential[:2]
    one, eight = sequential[2].split(), concurrent[2].split()
    assert (one[:3], one[-1]) == (eight[:3], eight[-1])  # task, stage, executions, accuracy
    assert int(eight[3]) == int(one[3]) + int(wasted[0].split()[0])  # LLM calls


def cli_llm_args(argv):
    import argparse

    parser = argparse.ArgumentParser()
    cli_llm.add_arguments(parser.add_argument)
    return parser.parse_args(argv)


def against_a_dead_server(files, steps: int) -> tuple[int, str, int]:
    """``evolve`` against a port nothing listens on: (exit code, stderr, the port)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    machine, data, _ = files
    code, _, err = run(["evolve", str(machine), "--data", str(data), "--steps", str(steps),
                        "--preset", "vllm", "--base-url", f"http://127.0.0.1:{port}/v1",
                        "--model", "m", "--max-retries", "0", "--quiet"])
    return code, err, port


def test_a_provider_that_is_down_is_named_and_the_run_fails(files):
    """Connection refused on every call: the reason is printed and the exit code says so."""
    code, err, port = against_a_dead_server(files, 6)
    assert code == 1
    assert re.search(r"route: (\d+) of \1 executions failed", err), err
    assert "Connection refused" in err
    assert f"127.0.0.1:{port}" in err and "no task execution succeeded" in err


def test_a_run_stops_after_ten_task_executions_in_a_row_fail(files):
    """A newcomer's tour ran --preset ollama with no server: every step waited for its own
    retries, 77.6 s for 10 steps, and a longer run would have gone on for as long as asked."""
    code, err, _ = against_a_dead_server(files, 3000)
    assert code == 1
    assert ("10 task executions in a row failed and none succeeded, so the run stopped after "
            "20 of 3,000") in err, err
    assert "Connection refused" in err and "route: 10 of 10 executions failed" in err


def test_a_task_that_fails_half_the_time_runs_on():
    """Found by review: the first rule stopped any run at ten failures in a row, which a
    task failing half the time reaches within a few hundred executions (here at step 98)."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "ticket-triage"
    code, _, err = run(["evolve", str(example / "ticket-triage.machine"), "--data",
                        str(example / "data.jsonl"), "--steps", "1000", "--error-rate", "0.5",
                        "--seed", "1", "--quiet"])
    assert code == 0 and "in a row failed" not in err, err
    failed = re.search(r"route: (\d+) of (\d+) executions failed", err)
    assert failed and int(failed[2]) >= 333, err  # all 1,000 steps ran
    assert 0.35 < int(failed[1]) / int(failed[2]) < 0.65, err
