"""The task card's "Per 1,000 executions" (web/lab/savings.mjs) under Node, on the chart
points a real run of the lab samples.

Found by a newcomer's tour: it compared the cost of the latest chart interval with the mean
cost of every LLM call so far, so a run where the LLM answered everything "saved 4%" (its
latest inputs were shorter) and a hybrid interval of a few code answers "saved 100%" beside
an LLM-call rate of 81%. Now both sides are measured over the same latest executions."""

from __future__ import annotations

import pytest
from page_modules import call_page_function
from test_app import loaded_lab, run, value

pytestmark = pytest.mark.cpython_only


def per_thousand(metrics: dict, series: dict) -> str:
    return call_page_function("lab/savings.mjs", "perThousand", metrics, series)


async def card(lab, steps: int, until: str | None = None) -> tuple[dict, dict]:
    await run(lab, steps, until)
    await value(lab, "persist")  # samples the chart points, as a run does every few seconds
    state = await value(lab, "state")
    return state["metrics"]["route"], state["series"]["route"]


async def test_while_the_llm_answers_everything_nothing_is_saved():
    lab = await loaded_lab()
    metrics, series = await card(lab, 40)
    assert metrics["llm_call_rate"] == 1.0 and len(series["points"][-1]) == 5
    assert per_thousand(metrics, series).endswith("saves 0%")


async def test_in_hybrid_the_saving_follows_the_latest_llm_call_rate():
    lab = await loaded_lab()
    metrics, series = await card(lab, 3000, "hybrid")
    for _ in range(3):
        metrics, series = await card(lab, 150)
    shown = per_thousand(metrics, series)
    saved = float(shown.rsplit("saves ", 1)[1].rstrip("%"))
    recent = [p for p in series["points"] if p[0] > series["changes"][-1]["at"]][-6:]
    rate = sum(p[2] for p in recent) / len(recent)
    assert 0 < saved < 100 and abs(saved - 100 * (1 - rate)) < 25, (shown, rate)


def test_points_saved_before_the_llm_only_column_show_a_dash():
    old = {"points": [[5, 0.001, 1.0, None], [10, 0.001, 1.0, None]], "changes": []}
    assert per_thousand({"execution_count": 10}, old) == "—"


def test_a_series_saved_before_the_llm_only_column_starts_it_at_its_next_interval():
    """Found by review: a series from an earlier build counted from an LLM-only cost of 0,
    so its first new point held the whole run's LLM-only cost: "$0.020 now vs $100"."""
    from evomachine.app.series import TaskSeries

    old = TaskSeries.from_export({"every": 5, "points": [[5000, 0.0, 0.0, None]],
                                  "last": {"executions": 5000, "cost": 1.0, "llm_calls": 1000}})

    def metrics(executions: int, llm_only: float) -> dict:
        return {"execution_count": executions, "llm_calls": 1000, "agreement_rate": None,
                "performance_metrics": {"total_cost": 1.0}, "llm_only_cost_estimate": llm_only}

    old.sample(metrics(5010, 5.0))
    old.sample(metrics(5020, 5.002))
    assert old.points[-2][4] is None and abs(old.points[-1][4] - 0.0002) < 1e-12


def test_a_price_change_does_not_reprice_the_executions_of_earlier_intervals():
    """Found by review: the LLM-only baseline re-prices every execution answered without the
    LLM with the latest cost fit, so after a dearer model its interval held the re-pricing of
    9,000 earlier executions: "$0.309 now vs $1.44 LLM only · saves 78 %" while the LLM
    answered everything. The chart points now take the baseline as each execution ran."""
    from evomachine.evolution.accounting import CostModel

    costs = CostModel()
    for _ in range(1000):
        costs.called(100, 0.001)
    for _ in range(9000):
        costs.skipped(100)
    accrued, estimate = costs.llm_only_accrued(), costs.llm_only_cost()
    for _ in range(100):  # a model three times dearer, answering everything
        costs.called(100, 0.003)
    assert costs.llm_only_accrued() - accrued == pytest.approx(0.3)  # what the 100 cost
    assert costs.llm_only_cost() - estimate > 1.0  # the re-priced 9,000 come with them
    saved = CostModel.from_export({k: v for k, v in costs.export().items() if k != "accrued"})
    assert saved.llm_only_accrued() == pytest.approx(saved.llm_only_cost())  # an older save


def test_a_stage_spending_more_than_the_llm_alone_says_so_instead_of_a_negative_saving():
    """Found by a mouse user's session: right after a drift (audits, re-learning and
    code-writing together) the card read "saves -6%"."""
    points = [[100, 0.0012, 1.0, None, 0.001], [200, 0.00106, 1.0, None, 0.001]]
    shown = per_thousand({"execution_count": 200}, {"points": points, "changes": []})
    assert shown == "$1.13 now vs $1.00 LLM only · costs 13% more", shown
    even = [[100, 0.001004, 1.0, None, 0.001]]  # 0.4% more rounds to nothing: no "-0%"
    assert per_thousand({"execution_count": 100}, {"points": even, "changes": []}).endswith(
        "saves 0%")
