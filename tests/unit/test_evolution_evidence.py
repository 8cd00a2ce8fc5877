"""The evidence behind every stage decision: bounds, cuts, the change detector, the memo,
the cost baseline and the codegen allowance."""

from __future__ import annotations

import random

import pytest

from evomachine.evolution.accounting import OUTPUT_PRICE_RATIO, CostModel, codegen_cost_bound
from evomachine.evolution.bounds import (
    beyond,
    binom_cdf,
    lower_bound,
    safe_cut,
    upper_bound,
    within,
)
from evomachine.evolution.drift import ChangeDetector
from evomachine.evolution.memo import AnswerMemo
from evomachine.evolution.metrics import TaskMetrics
from evomachine.evolution.policy import EvolutionPolicy


def test_binomial_cdf_matches_direct_sums():
    assert binom_cdf(0, 10, 0.1) == pytest.approx(0.9**10)
    assert binom_cdf(10, 10, 0.3) == 1.0 and binom_cdf(-1, 5, 0.3) == 0.0
    assert binom_cdf(2, 4, 0.5) == pytest.approx(11 / 16)


def test_clopper_pearson_bounds_known_values():
    # 0 of n: the upper bound is 1 - alpha ** (1 / n)
    assert upper_bound(0, 30) == pytest.approx(1 - 0.05 ** (1 / 30), abs=1e-6)
    assert upper_bound(5, 100) == pytest.approx(0.1024, abs=5e-4)
    assert lower_bound(5, 100) == pytest.approx(0.0196, abs=5e-4)
    assert upper_bound(0, 0) == 1.0 and lower_bound(0, 0) == 0.0
    # within/beyond agree with the bounds
    assert within(5, 120, 0.1) == (upper_bound(5, 120) <= 0.1)
    assert not within(5, 100, 0.1) and within(6, 120, 0.1)
    assert beyond(30, 100, 0.1) and not beyond(12, 100, 0.1)


def test_safe_cut_maximises_coverage_within_the_budget():
    rng = random.Random(1)
    sure = [(0.97, rng.random() < 0.97) for _ in range(300)]
    unsure = [(0.6, rng.random() < 0.6) for _ in range(200)]
    cut = safe_cut(sure + unsure, 0.1)
    assert cut is not None and cut.threshold == 0.97 and cut.answered == 300
    assert cut.upper <= 0.1 and cut.coverage == pytest.approx(0.6)
    # a point estimate inside the budget on a handful of examples is not enough
    assert safe_cut([(0.9, True)] * 10, 0.1) is None
    assert safe_cut([(0.9, True)] * 30, 0.1) is not None  # 0 of 30: upper bound 0.095
    assert safe_cut(unsure, 0.1) is None


def test_change_detector_is_quiet_within_the_budget_and_fast_after_a_change():
    rng = random.Random(3)
    detector = ChangeDetector(0.1, 4.0)
    alarms = sum(detector.observe(rng.random() < 0.05, seq) for seq in range(2000))
    assert alarms == 0
    detector.reset()
    for seq in range(2000, 2200):
        if detector.observe(rng.random() < 0.3, seq):
            break
    assert seq - 2000 < 60
    assert 2000 <= detector.started_at <= seq


def test_memo_audits_weigh_against_half_the_budget():
    """An exact memo answer should never disagree: 16% disagreeing memo audits (a change whose
    stale entries are being overruled) alarm within 150 audits on every seed, sooner than the
    same outcomes weighed as code audits (within reach of the code's in-control rate); a
    quiet memo never alarms."""
    def first_alarm(outcomes: list[bool], strict: bool) -> int:
        detector = ChangeDetector(0.1, 4.0)
        return next((seq for seq, bad in enumerate(outcomes)
                     if detector.observe(bad, seq, strict=strict)), len(outcomes))

    strict_times, lenient_times = [], []
    for seed in range(10):
        rng = random.Random(seed)
        outcomes = [rng.random() < 0.16 for _ in range(300)]
        strict_times.append(first_alarm(outcomes, True))
        lenient_times.append(first_alarm(outcomes, False))
    assert max(strict_times) < 150
    assert sum(strict_times) < sum(lenient_times)
    rng = random.Random(11)
    assert first_alarm([rng.random() < 0.005 for _ in range(3000)], True) == 3000


def test_memo_exact_and_normalised_repeats_and_forgetting():
    memo = AnswerMemo()
    memo.remember({"text": "Refund, please!"}, "billing", 1)
    assert memo.lookup({"text": "Refund, please!"}).kind == "exact"
    assert memo.lookup({"text": "refund please"}).kind == "normalized"
    memo.remember({"text": "REFUND please"}, "billing", 2)
    hit = memo.lookup({"text": "refund   please?"})
    assert hit.kind == "normalized" and hit.answer == "billing"
    memo.remember({"text": "refund please!!"}, "sales", 3)  # spellings disagree: never again
    assert memo.lookup({"text": "Refund Please"}) is None
    assert memo.lookup({"text": "REFUND please"}).answer == "billing"
    assert memo.forget_before(3) == 2 and len(memo) == 1
    back = AnswerMemo.from_export(memo.export())
    assert back.export() == memo.export()


def test_memo_is_bounded():
    memo = AnswerMemo(limit=3)
    for i in range(10):
        memo.remember({"text": f"t{i}"}, "a", i)
    assert len(memo) == 3 and memo.lookup({"text": "t9"}) and not memo.lookup({"text": "t0"})


def test_cost_model_fits_price_on_input_size():
    model = CostModel()
    for size in (10, 20, 40, 80):
        model.called(size, 0.001 + 0.0001 * size)
    assert model.estimate(100) == pytest.approx(0.011)
    model.skipped(100)
    assert model.llm_only_cost() == pytest.approx(model.llm_cost + 0.011)
    assert CostModel.from_export(model.export()).export() == model.export()


def test_a_code_writing_call_is_bounded_by_its_answer_cap_at_the_output_price():
    """The code is the answer, priced as output: a country-name lookup function came to
    2,903 output tokens (bench/evolution.py country-names), where the old estimate priced
    the code as input as long as the prompt and allowed a call 9 times the share."""
    from evomachine.llm.simulated import SimulatedLLM

    model = CostModel()
    for size in (10, 20, 40, 80):  # task calls at $3 / $15 per Mtok: ~150 tokens in, 2 out
        model.called(size, (150 + size / 4) * 3e-6 + 2 * 15e-6)
    priced = SimulatedLLM(lambda request: "x", price=(3.0, 15.0))
    bound = codegen_cost_bound(priced, model, 2900, 4096)
    assert bound == pytest.approx((2900 // 4 + 1) * 3e-6 + 4096 * 15e-6)
    assert bound > 2903 * 15e-6  # what the country-names call cost, at least

    class OwnClient:  # a user's client that says nothing of its prices
        async def complete(self, request):
            raise NotImplementedError

    fitted = codegen_cost_bound(OwnClient(), model, 2900, 4096)
    assert fitted == pytest.approx(model.estimate(2900 + OUTPUT_PRICE_RATIO * 4 * 4096))
    assert fitted > 4096 * 3e-6 * OUTPUT_PRICE_RATIO * 0.9
    assert codegen_cost_bound(priced, CostModel(), 2900, 4096) is None  # nothing priced yet


def test_check_rates_boost_while_the_detector_is_alert():
    policy = EvolutionPolicy(shadow_rate=0.1, audit_rate=0.03, audit_boost=4,
                             code_first_min_checks=30)
    assert policy.check_rate("hybrid", 0, False) == 0.1
    assert policy.check_rate("hybrid", 30, False) == pytest.approx(0.03)
    assert policy.check_rate("code_only", 0, True) == pytest.approx(0.12)
    assert policy.memo_check_rate(True) == pytest.approx(0.08)


def test_codegen_calls_count_as_llm_calls_and_cost():
    metrics = TaskMetrics()
    metrics.add_codegen(2, 0.05)
    metrics.add_synthesis(12.5)
    report = metrics.report("llm_only", None, None, llm_only_cost=1.0)
    assert report["llm_calls"] == 2 and report["codegen_calls"] == 2
    assert report["performance_metrics"]["total_cost"] == pytest.approx(0.05)
    assert report["cost_saved"] == pytest.approx(0.95) and report["synthesis_ms"] == 12.5


def test_lifetime_agreement_survives_a_stage_change():
    metrics = TaskMetrics(agreement_window=10)
    for agreed in (True, True, True, False):
        metrics.add_check(agreed)
    metrics.add_check(False, shadow=False)  # a code failure is no shadow check
    metrics.reset_stage()
    report = metrics.report("code_only", "v3", "naive_bayes")
    assert report["agreement_rate"] is None and report["agreement_checks"] == 0
    assert report["lifetime_agreement_rate"] == 0.75 and report["shadow_checks"] == 4
