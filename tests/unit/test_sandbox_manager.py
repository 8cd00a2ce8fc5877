"""The page's sandbox manager (web/sandbox/manager.mjs) under Node with a stand-in Worker
(tests/unit/sandbox_manager_check.mjs): a module whose call cost the worker is failed until
loaded again, so its later calls start no worker; calls queued behind it fail as "restarted"
and their modules answer again; a worker reporting more inputs than it was sent, or answering
text that is not JSON, is killed; a worker whose heap grew past the retire mark is killed as
"retired" and the module that grew it is failed; a killed batch's failure carries the answers it
finished before the culprit; a module whose inputs took the worker more
than 50 ms each (as the worker reports; its first four share 200 ms) is failed; a load's
deadline grows with the source's size from the call deadline.
Counted (workers constructed, restarts), never timed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.cpython_only
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def found() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = Path(__file__).with_name("sandbox_manager_check.mjs")
    done = subprocess.run([node, str(script), str(ROOT / "web" / "sandbox" / "manager.mjs"),
                           "1000"], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_a_module_whose_call_killed_the_worker_starts_no_worker_again(found: dict) -> None:
    assert [item["value"]["output"] for item in found["first"]["results"]] == ["a", "b"]
    assert found["killed"]["cause"] == "deadline" and found["afterKill"]["restarts"] == 1
    assert all(item["ok"] is False and item["cause"] == "deadline" for item in found["again"])
    assert found["afterAgain"] == found["afterKill"]  # five calls: no worker built, none killed
    assert found["reloaded"]["ok"] is True  # a new load of it runs it again


def test_the_answers_a_killed_batch_finished_before_its_culprit_come_with_its_failure(
        found: dict) -> None:
    done = [json.loads(text) for text in found["killed"]["done"]]
    assert [item["value"]["output"] for item in done] == ["x", "w"]  # then {hang}: killed
    assert all("done" not in item for item in found["again"])  # later calls: the failure only


def test_a_call_queued_behind_the_killed_one_keeps_its_module(found: dict) -> None:
    assert found["queued"]["ok"] is False and found["queued"]["cause"] == "restarted"
    assert found["good"]["results"][0]["value"]["output"] == "d"
    assert found["afterGood"]["restarts"] == 1


def test_a_worker_reporting_more_inputs_than_sent_or_garbage_is_killed(found: dict) -> None:
    assert found["tooManyTicks"]["cause"] == "protocol"
    assert found["garbage"]["cause"] == "protocol" and found["end"]["restarts"] == 3


def test_a_worker_whose_heap_grew_too_big_is_retired_and_its_module_failed(found: dict) -> None:
    assert found["bloated"]["ok"] is False and found["bloated"]["cause"] == "retired"
    assert found["fatAgain"]["cause"] == "retired"  # failed until loaded again: no worker spent
    assert found["afterBloat"]["restarts"] == found["end"]["restarts"] + 1
    assert found["afterBloat"]["described"]["peak_heap"] == 400 * 2 ** 20
    assert found["goodAfterBloat"]["results"][0]["value"]["output"] == "i"


def test_a_module_too_slow_on_average_is_failed_without_a_kill(found: dict) -> None:
    assert [item["value"]["output"] for item in found["slowFirst"]["results"]] == ["j", "k"]
    # its fourth input: 300 ms over 4 inputs; this answer stands, the next call is refused
    assert [item["value"]["output"] for item in found["slowThen"]["results"]] == ["l", "m"]
    assert found["slowAfter"]["ok"] is False and found["slowAfter"]["cause"] == "deadline"
    assert found["slowStillInWorker"] is False  # unloaded: its state no longer held there
    assert all(item["ok"] for item in found["quick"])  # 1 ms per input: never stopped
    assert found["slowEnd"]["restarts"] == found["afterBloat"]["restarts"]  # no worker killed
    assert found["slowReloaded"]["ok"] is True
    assert found["slowerFirst"]["ok"] is True  # one call of 250 ms: past the 200 ms of four
    assert found["slowerThen"]["ok"] is False and found["slowerThen"]["cause"] == "deadline"


def test_a_small_module_body_gets_the_call_deadline_not_ten_seconds(found: dict) -> None:
    # 1000 ms (the call deadline) + 1 ms per 256 characters of source: a hang in a short
    # module body costs about what a hang in a call does
    assert found["hungLoad"]["cause"] == "deadline"
    assert "1001 ms" in found["hungLoad"]["message"]
