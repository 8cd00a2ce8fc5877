"""How evidence for a promotion is gathered and judged."""

from __future__ import annotations

from evomachine.evolution.policy import EvolutionPolicy
from evomachine.evolution.synthesis.spec import CalibrationBin, SynthesisResult
from evomachine.evolution.task_state import Candidate, clears_bar


def result(bins: list[tuple[int, int, float]], overall: float) -> SynthesisResult:
    return SynthesisResult(
        task="t", version="v1", code="", synthesizer="naive_bayes", heldout_agreement=overall,
        train_size=75, heldout_size=sum(b[0] for b in bins), code_path_hint="g.py",
        calibration=[CalibrationBin(start=i, end=i + 1, count=c, agreed=a, confidence=conf)
                     for i, (c, a, conf) in enumerate(bins)],
    )


def candidate(synthesis: SynthesisResult) -> Candidate:
    return Candidate(synthesis.code, synthesis.synthesizer, synthesis.heldout_agreement,
                     module=None, synthesis=synthesis)


def test_confident_agreement_counts_only_bins_at_or_above_the_threshold():
    synthesis = result([(40, 16, 0.4), (40, 30, 0.74), (20, 19, 0.91)], overall=0.65)
    assert synthesis.confident_agreement(0.8) == (19 / 20, 0.2)
    assert synthesis.confident_agreement(0.7) == (49 / 60, 0.6)
    assert synthesis.confident_agreement(0.95) == (None, 0.0)


def test_hybrid_accepts_weak_code_whose_confident_answers_are_good_and_common():
    policy = EvolutionPolicy()
    good_half = result([(50, 25, 0.5), (50, 47, 0.93)], overall=0.72)
    enough, why = clears_bar(candidate(good_half), "hybrid", policy)
    assert enough and "answers alone" in why


def test_hybrid_refuses_code_whose_confident_answers_are_too_few_or_too_wrong():
    policy = EvolutionPolicy()
    too_few = result([(90, 50, 0.55), (10, 10, 0.92)], overall=0.6)
    too_wrong = result([(50, 30, 0.6), (50, 41, 0.81)], overall=0.71)
    for synthesis in (too_few, too_wrong):
        enough, _ = clears_bar(candidate(synthesis), "hybrid", policy)
        assert not enough


def test_later_stages_need_the_overall_held_out_bar():
    policy = EvolutionPolicy()
    confident_only = result([(50, 25, 0.5), (50, 50, 0.98)], overall=0.75)
    assert not clears_bar(candidate(confident_only), "code_first",
                                                 policy)[0]
    strong = result([(100, 95, 0.95)], overall=0.95)
    assert clears_bar(candidate(strong), "code_only", policy)[0]


def test_shadow_checks_are_denser_until_the_next_stage_has_its_evidence():
    policy = EvolutionPolicy(shadow_rate=0.1, evidence_shadow_rate=0.3,
                             code_first_min_checks=30, code_only_min_checks=50)
    assert policy.shadow_rate_now("hybrid", 0) == 0.3
    assert policy.shadow_rate_now("hybrid", 29) == 0.3
    assert policy.shadow_rate_now("hybrid", 30) == 0.1
    assert policy.shadow_rate_now("code_first", 49) == 0.3
    assert policy.shadow_rate_now("code_first", 50) == 0.1
    assert policy.shadow_rate_now("code_only", 0) == 0.1
    assert EvolutionPolicy(shadow_rate=0.5).shadow_rate_now("hybrid", 0) == 0.5


def test_lifetime_agreement_survives_a_stage_change():
    from evomachine.evolution.metrics import TaskMetrics

    metrics = TaskMetrics(agreement_window=10)
    for agreed in (True, True, True, False):
        metrics.add_check(agreed)
    metrics.add_check(False, shadow=False)  # a code failure is no shadow check
    metrics.reset_stage()
    report = metrics.report("code_only", "v3", "naive_bayes")
    assert report["agreement_rate"] is None and report["agreement_checks"] == 0
    assert report["lifetime_agreement_rate"] == 0.75 and report["shadow_checks"] == 4
