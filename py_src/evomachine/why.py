"""Why a task is where it is: the evolver's next step, with the figures behind it, in words.

``next_step`` (:meth:`Evolver.explain`) says what the next stage needs and
how far the task is; :func:`figures` adds the numbers the last synthesis and
the live checks measured: the best candidate's held-out agreement and how many
examples it was measured on, how often code disagrees with the LLM against the
error budget, and when the next synthesis comes. The CLI report and each task
card in the page show both.
"""

from __future__ import annotations

from typing import Any


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _number(value: Any) -> float | None:
    """``value`` when it is a number (stored state is outside text), else None."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def figures(metrics: dict[str, Any], last_synthesis: dict[str, Any] | None,
            policy: Any = None) -> list[str]:
    """Short sentences with the figures behind ``metrics['next_step']`` (may be empty).

    With the task's ``policy``, a gate the next step does not mention is named too:
    synthesis waits while the success rate is below ``success_rate_threshold``.
    """
    out: list[str] = []
    floor = getattr(policy, "success_rate_threshold", None)
    rate = metrics.get("success_rate")
    if metrics.get("stage") == "llm_only" and isinstance(floor, int | float) \
            and isinstance(rate, int | float) and metrics.get("execution_count") and rate < floor:
        out.append(f"synthesis waits while the success rate is below {_pct(floor)}: it is "
                   f"{_pct(rate)} (failed executions, such as LLM errors, count against it)")
    last = last_synthesis or {}
    stage = metrics.get("stage")
    budget = metrics.get("max_disagreement")
    scores = last.get("scores") or {}
    best = last.get("synthesizer")
    score = scores.get(best) if isinstance(best, str) else None
    if isinstance(score, dict) and isinstance(score.get("heldout_agreement"), int | float):
        # Candidates compete on the share of inputs they may answer within the budget
        # ("rank"), then on agreement: a runner-up may agree more and still answer less.
        ranked = _number(score.get("rank")) is not None
        share = f"may answer {_pct(score['rank'])} of held-out inputs within the budget, " \
            if ranked else ""
        line = (f"best candidate {best}: {share}held-out agreement with the LLM "
                f"{_pct(score['heldout_agreement'])} on {score.get('n_heldout', '?')} examples")
        others = sorted(((_number(s.get("rank")) or 0.0,
                          _number(s.get("heldout_agreement")) or 0.0, name)
                         for name, s in scores.items() if name != best and isinstance(s, dict)),
                        reverse=True)
        if others:
            rank, agreement, name = others[0]
            line += (f" (next: {name}, {_pct(rank)} within the budget, {_pct(agreement)})"
                     if ranked else f" (next: {name} {_pct(agreement)})")
        installed = metrics.get("synthesizer")
        if stage != "llm_only" and isinstance(installed, str) and installed != best:
            # a refresh keeps new code only if it answers more of the recent traffic
            line += (f"; not installed: the code in place ({installed}) answers as much of "
                     "the recent traffic")
        out.append(line)
    full = last.get("full") if stage == "llm_only" else metrics.get("cut") or last.get("full")
    if isinstance(full, dict) and full.get("answered") and isinstance(budget, int | float):
        rate = full.get("disagreed", 0) / full["answered"]
        bound = full.get("upper_bound")
        shown = f" (upper bound {_pct(bound)})" if isinstance(bound, int | float) else ""
        out.append(f"code disagrees with the LLM on {_pct(rate)} of {full['answered']} "
                   f"held-out answers{shown}; the budget is {_pct(budget)}")
    checks = metrics.get("live_checks")  # [above the cut, disagreed, below it, disagreed]
    if stage in ("hybrid", "code_first") and isinstance(checks, list) and len(checks) == 4:
        above, wrong, below, low_wrong = (int(v) for v in checks)
        if above:
            out.append(f"live checks of code answers: {above}, {wrong} disagreed "
                       f"({_pct(wrong / above)})")
        if below:
            out.append(f"answers the code was unsure of (below its cut, so the LLM gave them), "
                       f"compared for free: {below}, {low_wrong} disagreed")
    wasted = metrics.get("wasted_calls")
    if isinstance(wasted, int) and wasted > 0:
        cost = metrics.get("wasted_cost") or 0.0
        out.append(f"{wasted} request{'s' if wasted != 1 else ''} sent ahead (concurrency) "
                   f"{'were' if wasted != 1 else 'was'} not needed, the record answered "
                   f"another way (mostly just after a stage change): ${cost:.4f}, counted in "
                   f"the cost")
    if "error" in last:
        out.append(f"last synthesis failed: {last['error']}")
    return out


def why(metrics: dict[str, Any], last_synthesis: dict[str, Any] | None,
        policy: Any = None) -> dict[str, Any]:
    """``{next_step, figures}`` for a task card or a report."""
    return {"next_step": metrics.get("next_step"),
            "figures": figures(metrics, last_synthesis, policy)}
