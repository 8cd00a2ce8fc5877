"""EvolutionaryExecutor stages, checks, change detection, mutations, policy (fake code modules).

The memo is off here unless a test says so: these tests watch the code and the LLM."""

from __future__ import annotations

import collections
import random
from typing import Any

import pytest

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor, EvolutionError, EvolutionPolicy, PolicyError
from evomachine.evolution.stages import output_problem, run_code, same_answer
from evomachine.llm.base import LLMRequest, LLMResponse

TRIAGE = """machine "Ticket triage"
Input ticket { ground_truth: "label"; }
Task route {
    prompt: "Route: {{ input.text }}";
    output<"billing" | "tech" | "sales">;
    evolution_stage: "%s";
}
State billing; State tech; State sales;
ticket -> route;
route -billing-> billing;
route -tech-> tech;
route -sales-> sales;
billing -> ticket; tech -> ticket; sales -> ticket;
"""


class FakeModule:
    """Generated-code stand-in: ``rule(input) -> (output, confidence)`` or raises."""

    def __init__(self, rule):
        self.rule = rule
        self.calls = 0

    def execute(self, input: Any, context: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        output, confidence = self.rule(input)
        return {"output": output, "confidence": confidence, "metadata": {}}


class MappingLLM:
    """Answers ``mapping[input["text"]]``; the mapping can change mid-run (drift)."""

    def __init__(self, mapping: dict[str, str], cost: float = 0.001):
        self.mapping = mapping
        self.cost = cost
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        return LLMResponse(text=self.mapping[request.input["text"]], input_tokens=20,
                           output_tokens=1, cost=self.cost, latency_ms=100.0)


MAPPING = {"invoice": "billing", "crash": "tech", "seats": "sales"}


def records(n: int) -> list[dict[str, str]]:
    texts = list(MAPPING)
    return [{"text": texts[i % 3], "label": MAPPING[texts[i % 3]]} for i in range(n)]


def executor(stage: str, rule=None, *, llm=None, **options: Any):
    modules = {"fake": FakeModule(rule or (lambda i: (MAPPING[i["text"]], 0.9)))}
    options.setdefault("memo", False)
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % stage), llm=llm or MappingLLM(dict(MAPPING)),
                              module_loader=lambda code, path: modules[code], **options)
    return ex, modules["fake"]


async def install(ex: EvolutionaryExecutor, stage: str) -> dict[str, Any]:
    return await ex.install_code("route", "fake", stage, "test")


async def test_hybrid_uses_code_when_confident_and_llm_below_threshold():
    confidences = {"invoice": 0.9, "crash": 0.79, "seats": 0.5}
    ex, module = executor("llm_only", lambda i: (MAPPING[i["text"]], confidences[i["text"]]),
                          shadow_rate=0.0, audit_rate=0.0)
    # no history to check it on: installed as asked, answering at confidence >= 0.8
    assert (await install(ex, "hybrid"))["installed_stage"] == "hybrid"
    confident = await ex.execute_task("route", {"text": "invoice"})
    assert confident.output == "billing" and not confident.used_llm and confident.confidence == 0.9
    assert confident.stage == "hybrid" and confident.cost == 0.0
    unsure = await ex.execute_task("route", {"text": "crash"})
    assert unsure.used_llm and unsure.output == "tech" and unsure.confidence is None
    record = ex.histories["route"].recent[-1]
    assert record.code_output == "tech" and record.code_confidence == 0.79
    assert record.answered_by == "llm" and record.code_version.endswith("route_v1.py")
    assert module.calls == 2


async def test_code_first_uses_the_cut_and_the_llm_threshold_attribute_raises_it():
    ex, _ = executor("llm_only", lambda i: (MAPPING[i["text"]], 0.85), shadow_rate=0.0,
                     audit_rate=0.0)
    await install(ex, "code_first")
    assert not (await ex.execute_task("route", {"text": "seats"})).used_llm  # 0.85 >= 0.8
    text = (TRIAGE % "llm_only").replace('evolution_stage: "llm_only";',
                                         'evolution_stage: "llm_only"; llm_threshold: "0.9";')
    modules = {"fake": FakeModule(lambda i: (MAPPING[i["text"]], 0.85))}
    ex = EvolutionaryExecutor(parse_machine(text), llm=MappingLLM(MAPPING), shadow_rate=0.0,
                              audit_rate=0.0, memo=False,
                              module_loader=lambda code, path: modules[code])
    await install(ex, "code_first")
    assert ex.tasks["route"].policy.llm_threshold == 0.9
    assert ex.tasks["route"].threshold() == 0.9
    assert (await ex.execute_task("route", {"text": "seats"})).used_llm


async def test_code_errors_fall_back_to_llm_and_count_against_agreement():
    def broken(input):
        raise RuntimeError("sandbox says no")

    ex, _ = executor("llm_only", broken)
    await install(ex, "hybrid")
    result = await ex.execute_task("route", {"text": "crash"})
    assert result.success and result.used_llm and result.output == "tech"
    metrics = ex.get_task_metrics()["route"]
    assert metrics["agreement_rate"] == 0.0 and metrics["code_errors"] == 1


async def test_code_only_never_calls_the_llm_and_a_code_failure_fails_the_execution():
    llm = MappingLLM(MAPPING)
    ex, _ = executor("llm_only", lambda i: ("refunds", 0.99) if i["text"] == "seats"
                     else (MAPPING[i["text"]], 0.1), llm=llm)
    await install(ex, "code_only")
    low = await ex.execute_task("route", {"text": "crash"})
    assert low.success and low.output == "tech" and not low.used_llm  # low confidence still answers
    bad = await ex.execute_task("route", {"text": "seats"})
    assert not bad.success and "refunds" in bad.error and "not one of" in bad.error
    assert llm.calls == 0


async def test_shadow_checks_measure_agreement_and_the_llm_wins_disagreements():
    ex, _ = executor("llm_only", lambda i: ("billing", 0.95), shadow_rate=1.0)
    await install(ex, "hybrid")
    agree = await ex.execute_task("route", {"text": "invoice"})
    disagree = await ex.execute_task("route", {"text": "crash"})
    assert agree.output == "billing" and agree.used_llm and agree.cost > 0
    assert disagree.output == "tech" and disagree.used_llm
    assert ex.histories["route"].recent[-1].code_output == "billing"
    assert ex.get_task_metrics()["route"]["agreement_rate"] == 0.5


async def test_shadow_sampling_is_seeded_and_near_the_configured_rate():
    async def calls(seed: int) -> int:
        llm = MappingLLM(MAPPING)
        ex, _ = executor("llm_only", llm=llm, shadow_rate=0.2, seed=seed, auto_evolve=False,
                         code_first_min_checks=10_000)
        await install(ex, "hybrid")
        for record in records(500):
            await ex.execute_task("route", {"text": record["text"]})
        return llm.calls

    first = await calls(1)
    assert first == await calls(1)
    assert 70 <= first <= 130


async def test_a_change_is_detected_by_audits_and_the_task_learns_again():
    llm = MappingLLM(dict(MAPPING))
    ex, _ = executor("llm_only", llm=llm, inputs=records(3000), code_only_min_checks=10_000)
    await install(ex, "code_first")
    await ex.run(max_steps=300)
    assert ex.tasks["route"].stage == "code_first"
    before = ex.histories["route"].seen
    llm.mapping.update({"invoice": "sales"})  # a third of the traffic changes its answer
    await ex.run(max_steps=1200)
    change = [m for m in ex.get_mutations() if "change detected" in m["data"]["reason"]]
    assert change, ex.get_mutations()
    data = change[0]["data"]
    assert data["from_stage"] in ("code_first", "hybrid") and data["to_stage"] == "llm_only"
    # caught within 400 executions of the change (75-255 over seeds 0-5); no old answer after it
    detected_at = next(r.seq for r in ex.histories["route"].recent
                       if r.seq > before and r.stage == "llm_only")
    assert detected_at - before <= 400
    tail = [r for r in ex.histories["route"].recent if r.seq >= detected_at]
    assert all(r.output == "sales" for r in tail if r.input["text"] == "invoice")
    assert ex.tasks["route"].train_from_seq > before


async def test_a_memo_answer_contradicted_by_an_audit_is_replaced_at_once():
    llm = MappingLLM(dict(MAPPING))
    # every other record is new (the code answers it: a call saved beyond an exact cache,
    # which pays for one audit of a repeat); the others repeat "invoice" (the memo answers)
    rows = [{"text": "crash", "id": i} if i % 2 else {"text": "invoice"} for i in range(600)]
    sure = {"crash": 0.9, "invoice": 0.5}  # the code is unsure of "invoice": the LLM answers it
    ex, _ = executor("llm_only", lambda i: (MAPPING[i["text"]], sure[i["text"]]), llm=llm,
                     inputs=rows, memo=True, memo_audit_rate=0.2, audit_rate=0.0,
                     shadow_rate=0.0, auto_evolve=False)
    await install(ex, "hybrid")
    await ex.run(max_steps=60)
    llm.mapping.update({"invoice": "sales"})
    await ex.run(max_steps=600)
    answers = [r.output for r in ex.histories["route"].recent if r.input["text"] == "invoice"]
    switched = answers.index("sales", 10)
    assert set(answers[switched:]) == {"sales"} and set(answers[:10]) == {"billing"}


async def test_a_memo_answer_in_doubt_sends_every_older_entry_back_to_the_llm():
    """One disagreeing memo audit (the LLM changed an answer it gave before) makes every memo
    answer from before it suspect: each is re-asked on its next use, so the changed answers
    are all replaced long before a quarter of them would have been audited by chance."""
    repeated = [f"r{k}" for k in range(24)]
    llm = MappingLLM({"crash": "tech", **dict.fromkeys(repeated, "billing")})
    rng = random.Random(4)
    # every other record is new (the code answers it: savings beyond a cache pay for audits);
    # the others repeat one of 24 texts the code is unsure of (the memo answers them)
    rows = [{"text": "crash", "id": i} if i % 2 else {"text": rng.choice(repeated)}
            for i in range(3000)]
    ex, _ = executor("llm_only", lambda i: ("tech", 0.9 if i["text"] == "crash" else 0.5),
                     llm=llm, inputs=rows, memo=True, audit_rate=0.0, shadow_rate=0.0,
                     auto_evolve=False, history_limit=4000)
    await install(ex, "hybrid")
    await ex.run(max_steps=3 * 400)
    changed_at = ex.histories["route"].seen
    changed = repeated[:6]
    llm.mapping.update(dict.fromkeys(changed, "sales"))  # a quarter of the repeats change
    await ex.run(max_steps=3 * 2600)
    history = [r for r in ex.histories["route"].recent if r.seq > changed_at]
    first_doubt = next(r.seq for r in history
                       if r.check == "audit" and r.output != r.audited)
    stale = [r.seq for r in history if r.input["text"] in changed and r.output == "billing"]
    assert stale and max(stale) < first_doubt + 300, (first_doubt, stale[-5:])


async def test_a_detected_change_leaves_no_memo_answer_from_before_the_alarm():
    """Where a change began is an estimate (where the detector's score last left zero), and
    a chance disagreement before the change makes it early: an answer the memo took between
    that estimate and the change is the old one. After the alarm no memo answer from before
    it is served; each input goes back to the LLM once."""
    llm = MappingLLM(dict(MAPPING))
    ex, _ = executor("llm_only", llm=llm, memo=True, auto_evolve=False)
    state = ex.tasks["route"]
    for text in MAPPING:
        await ex.execute_task("route", {"text": text})
    state.detector.started_at = 2  # the excursion began before "crash" and "seats" were asked
    llm.mapping.update({"crash": "sales", "seats": "tech"})
    await ex.evolver.on_change(state)
    assert len(state.memo) == 0 and state.train_from_seq == 2
    calls = llm.calls
    outputs = [(await ex.execute_task("route", {"text": t})).output for t in MAPPING]
    assert outputs == ["billing", "sales", "tech"] and llm.calls == calls + 3


async def test_audits_of_repeats_never_cost_more_than_an_exact_cache():
    llm = MappingLLM(dict(MAPPING))
    ex, _ = executor("llm_only", llm=llm, inputs=records(900), memo=True, memo_audit_rate=1.0,
                     auto_evolve=False)
    await ex.run(max_steps=900)
    assert llm.calls == 3  # what a cache pays: nothing saved beyond it, so no audit is paid


async def test_drift_insurance_pays_audits_of_repeats_up_to_its_share_of_the_cache():
    texts = [f"t{k}" for k in range(200)]
    rows = [{"text": texts[i % 200]} for i in range(1000)]  # every text five times
    calls = {}
    for share in (0.0, 0.05):
        llm = MappingLLM(dict.fromkeys(texts, "tech"))
        ex, _ = executor("llm_only", llm=llm, inputs=rows, memo=True, memo_audit_rate=1.0,
                         auto_evolve=False, drift_insurance=share)
        await ex.run(max_steps=1000)
        calls[share] = llm.calls
    # the cache's 200 calls; 5% of them more at most, and they are spent
    assert calls[0.0] == 200 and 200 < calls[0.05] <= 210, calls


def changing_repeats(share: float) -> tuple[EvolutionaryExecutor, MappingLLM, list[str]]:
    """``llm_only`` without code: every other record is new (the LLM answers it, as a cache
    would), the others repeat one of 24 texts (the memo answers them)."""
    repeated = [f"r{k}" for k in range(24)]
    llm = MappingLLM(collections.defaultdict(lambda: "tech", dict.fromkeys(repeated, "billing")))
    rng = random.Random(5)
    rows = [{"text": f"n{i}"} if i % 2 else {"text": rng.choice(repeated)} for i in range(4000)]
    ex, _ = executor("llm_only", llm=llm, inputs=rows, memo=True, auto_evolve=False,
                     history_limit=4000, drift_insurance=share)
    return ex, llm, repeated


async def test_without_code_only_drift_insurance_notices_changed_answers_to_repeats():
    """Nothing pays for re-asking a repeat when no code saves anything, so a changed answer
    to a repeated input is served from the memo forever (as an exact cache would serve
    it); with ``drift_insurance`` the memo's answers are audited and the change is caught."""
    for share in (0.0, 0.05):
        ex, llm, repeated = changing_repeats(share)
        await ex.run(max_steps=3 * 1000)
        changed = repeated[:6]
        llm.mapping.update(dict.fromkeys(changed, "sales"))  # a quarter of the repeats
        await ex.run(max_steps=3 * 3000)
        last = [r for r in ex.histories["route"].recent[-1000:] if r.input["text"] in changed]
        stale = sum(r.output == "billing" for r in last)
        assert last and (stale > 0 if share == 0 else stale == 0), (share, stale, len(last))


async def test_live_checks_beyond_the_budget_demote_one_stage():
    llm = MappingLLM(dict(MAPPING))
    ex, _ = executor("llm_only", lambda i: ("billing", 0.9), llm=llm, inputs=records(600),
                     shadow_rate=1.0, drift_threshold=10**6)
    await install(ex, "hybrid")
    await ex.run(max_steps=200)
    moves = [m["data"] for m in ex.get_mutations()][1:]
    assert moves[0]["from_stage"] == "hybrid" and moves[0]["to_stage"] == "llm_only"
    assert "beyond the budget" in moves[0]["reason"]


async def test_mutation_shape_and_manual_trigger_stops_at_code_only():
    ex, _ = executor("llm_only")
    await install(ex, "hybrid")
    assert await ex.trigger_evolution("route") in ("code_first",)
    assert await ex.trigger_evolution("route") == "code_only"
    with pytest.raises(EvolutionError, match="already at code_only"):
        await ex.trigger_evolution("route")
    mutations = ex.get_mutations()
    assert [(m["data"]["from_stage"], m["data"]["to_stage"]) for m in mutations] == [
        ("llm_only", "hybrid"), ("hybrid", "code_first"), ("code_first", "code_only")]
    for mutation in mutations:
        assert mutation["type"] == "task_evolution" and isinstance(mutation["timestamp"], float)
        assert set(mutation["data"]) == {"task", "from_stage", "to_stage", "code_path", "reason"}
        assert mutation["data"]["code_path"] == "generated/ticket-triage/route_v1.py"
    mutations[0]["data"]["task"] = "changed"
    assert ex.get_mutations()[0]["data"]["task"] == "route"
    # said in words a person reads (a newcomer's tour found "manual trigger_evolution" and
    # "change score 0.00 of 4.0")
    assert mutations[-1]["data"]["reason"].startswith("promoted by hand (trigger_evolution)")
    assert "change detector stands at 0.00 and sends the task back to the LLM at" in \
        ex.task_metrics("route")["next_step"]


async def test_trigger_without_history_or_code_is_a_clear_error():
    ex, _ = executor("llm_only")
    with pytest.raises(EvolutionError, match="cannot move to hybrid"):
        await ex.trigger_evolution("route")


async def test_install_code_lowers_the_stage_when_history_disagrees():
    ex, _ = executor("llm_only", lambda i: ("billing", 0.9), inputs=records(30),
                     auto_evolve=False)
    await ex.run(max_steps=200)
    result = await install(ex, "code_only")
    assert result["checked"] == 30 and result["agreement"] == pytest.approx(1 / 3)
    assert result["installed_stage"] == "llm_only" == ex.tasks["route"].stage


async def test_metrics_are_incremental_and_complete():
    ex, _ = executor("llm_only", inputs=records(9))
    await ex.run(max_steps=100)
    metrics = ex.get_task_metrics()["route"]
    assert metrics["stage"] == "llm_only" and metrics["execution_count"] == 9
    assert metrics["success_rate"] == 1.0 and metrics["llm_call_rate"] == 1.0
    assert metrics["accuracy"] == 1.0 and metrics["agreement_rate"] is None
    perf = metrics["performance_metrics"]
    assert perf["total_cost"] == pytest.approx(0.009)
    assert perf["cost_per_execution"] == pytest.approx(0.001)
    assert perf["avg_execution_time_ms"] >= 100 and perf["p95_execution_time_ms"] >= 100
    assert metrics["cost_saved"] == pytest.approx(0.0)
    assert metrics["codegen_calls"] == 0 and metrics["memo_answers"] == 0
    assert "hybrid needs 50 executions" in metrics["next_step"]


async def test_the_memo_answers_exact_repeats_at_once_in_llm_only():
    llm = MappingLLM(dict(MAPPING))
    ex, _ = executor("llm_only", llm=llm, inputs=records(300), memo=True, memo_audit_rate=0.0,
                     auto_evolve=False)
    await ex.run(max_steps=900)
    metrics = ex.get_task_metrics()["route"]
    assert llm.calls == 3 and metrics["memo_answers"] == 297 and metrics["accuracy"] == 1.0
    assert metrics["stage"] == "llm_only"
    # what the LLM would have cost: every execution at the fitted price of a call
    assert metrics["llm_only_cost_estimate"] == pytest.approx(0.3)
    assert metrics["cost_saved"] == pytest.approx(0.297)


def test_policy_validation():
    policy = EvolutionPolicy()
    assert policy.max_disagreement == 0.10 and policy.success_rate_threshold == 0.9
    assert policy.confidence_threshold is None and policy.llm_threshold is None
    # policies saved by 0.1.0 load: the fields the budget replaced are dropped, and its
    # defaults (it saved every one) become this version's; what it set otherwise is kept
    assert EvolutionPolicy.build({"hybrid_min_heldout": 0.8}).max_disagreement == 0.10
    old = {"hybrid_min_heldout": 0.8, "execution_threshold": 100, "confidence_threshold": 0.8,
           "llm_threshold": 0.7, "resynthesis_after": 50, "audit_rate": 0.05}
    resumed = EvolutionPolicy.build(old)
    assert (resumed.execution_threshold, resumed.confidence_threshold, resumed.llm_threshold,
            resumed.resynthesis_after) == (50, None, None, 20)
    assert resumed.audit_rate == 0.05
    tuned = EvolutionPolicy.build({**old, "execution_threshold": 2, "confidence_threshold": 0.9})
    assert (tuned.execution_threshold, tuned.confidence_threshold) == (4, 0.9)
    # a policy of this version is taken as it is
    assert EvolutionPolicy.build({"execution_threshold": 100}).execution_threshold == 100
    with pytest.raises(PolicyError):
        EvolutionPolicy.build(shadow_rate=1.5)
    with pytest.raises(PolicyError):
        EvolutionPolicy.build(no_such_knob=1)
    text = (TRIAGE % "llm_only").replace('evolution_stage: "llm_only";',
                                         'evolution_stage: "llm_only"; shadow_rate: "lots";')
    with pytest.raises(PolicyError, match=r"task 'route'.*shadow_rate"):
        EvolutionaryExecutor(parse_machine(text))


def test_unknown_stage_and_bad_machine_id_are_rejected():
    machine = parse_machine(TRIAGE % "llm_only")
    machine.find_node("route").attributes["evolution_stage"].value = "turbo"
    with pytest.raises(ValueError, match="unknown evolution_stage 'turbo'"):
        EvolutionaryExecutor(machine)
    for bad in ("a/b", "a%2Fb", "..", " ", "a\nb"):
        with pytest.raises(ValueError, match="machine id"):
            EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), machine_id=bad)
    # a long title makes a long id (slugify does not cut it): earlier builds stored such runs
    assert EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), machine_id="x" * 300)


async def test_run_code_checks_results():
    schema = {"enum": ["a", "b"]}
    ok = await run_code(FakeModule(lambda i: ("a", 2.0)), {}, {}, schema)
    assert ok.error is None and ok.confidence == 1.0
    high = await run_code(FakeModule(lambda i: ("a", "high")), {}, {}, schema)
    assert "not a number" in high.error

    class Odd:
        def execute(self, input, context):
            return ["a"]

    class Remote:  # a module behind a process or Worker boundary answers with an awaitable
        async def execute(self, input, context):
            return {"output": "b", "confidence": 0.5}

    assert "not a dict" in (await run_code(Odd(), {}, {}, schema)).error
    assert (await run_code(Remote(), {}, {}, schema)).output == "b"
    assert output_problem(3, {"type": "integer"}) is None
    assert output_problem(True, {"type": "integer"}) is not None
    assert output_problem("x", {"anyOf": [{"enum": ["y"]}, {"type": "string"}]}) is None
    assert same_answer(1, 1.0) and same_answer({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same_answer("a", "b")


class KilledOnce(FakeModule):
    """A module its sandbox stopped once (a deadline on a busy machine): failed for the rest
    of its load, as ProcessHost and WorkerHost fail it; a new load works again."""

    def __init__(self, rule, loads: list[KilledOnce]):
        super().__init__(rule)
        self.failed: Exception | None = None
        loads.append(self)

    def execute(self, input: Any, context: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.failed is None and len(loads_of(self)) == 1 and self.calls == 3:
            self.failed = TimeoutError("deadline")
        if self.failed is not None:
            raise RuntimeError(f"failed: {self.failed}")
        output, confidence = self.rule(input)
        return {"output": output, "confidence": confidence, "metadata": {}}


def loads_of(module: KilledOnce) -> list[KilledOnce]:
    return module.loads  # type: ignore[attr-defined]


async def test_a_module_its_sandbox_stopped_is_loaded_again_and_the_llm_answers_meanwhile():
    loads: list[KilledOnce] = []

    def loader(code: str, path: str) -> KilledOnce:
        module = KilledOnce(lambda i: (MAPPING[i["text"]], 0.99), loads)
        module.loads = loads  # type: ignore[attr-defined]
        return module

    llm = MappingLLM(dict(MAPPING))
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), llm=llm, module_loader=loader,
                              inputs=records(60), memo=False, audit_rate=0.0, check_every=10,
                              auto_evolve=False)
    await install(ex, "code_only")
    await ex.run(max_steps=3 * 30)
    answered = [r.answered_by for r in ex.histories["route"].recent]
    assert all(r.success for r in ex.histories["route"].recent)  # never a failed execution
    assert answered[:2] == ["code", "code"] and "llm" in answered
    assert len(loads) == 2  # loaded again once, within check_every executions
    assert answered[-1] == "code" and loads[-1].failed is None
    assert answered.count("llm") <= 10
