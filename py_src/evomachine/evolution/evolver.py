"""The ``Evolver``: promotion, demotion, refresh and synthesis of one executor's tasks.

Every ``check_every`` executions the executor asks :meth:`Evolver.check`; a
detected change (the CUSUM of audits alarms) calls :meth:`Evolver.on_change`
at once. Each decision compares an upper confidence bound of disagreement with
the task's error budget (:mod:`evomachine.evolution.bounds`):

- ``llm_only → hybrid``: synthesized code whose held-out answers, cut at some
  calibrated confidence, cover at least ``min_coverage`` within the budget;
- ``hybrid → code_first``: held-out and live checks above the cut, pooled,
  still within the budget, with ``code_first_min_checks`` live checks;
- ``code_first → code_only``: the same over every input (no cut), with
  ``code_only_min_checks`` live checks (audits and checks below the cut);
- down one stage when live checks are beyond the budget (lower bound above
  it); back to ``llm_only`` on a detected change, forgetting what was learnt
  before it;
- a refresh replaces the code only by one that answers more of the recent traffic
  within the budget (code_only: a lower bound over every input).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evomachine.evolution.accounting import codegen_cost_bound
from evomachine.evolution.bounds import Cut, beyond, safe_cut, within
from evomachine.evolution.refresh import live_coverage, recent_inputs, refresh
from evomachine.evolution.synthesis.llm_codegen import codegen_max_tokens
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.evolution.task_state import Candidate, TaskState
from evomachine.interrupts import Interrupted
from evomachine.ladder import check_stage, next_stage, previous_stage
from evomachine.llm.base import LLMRequest, LLMResponse
from evomachine.storage.keys import code_path

if TYPE_CHECKING:
    from evomachine.evolution.executor import EvolutionaryExecutor

# Characters of a code-writing prompt besides its examples (instructions, task prompt).
CODEGEN_OVERHEAD_CHARS = 2500
# Confidence at which code answers after a manual promotion the budget does not back.
MANUAL_THRESHOLD = 0.8


class CountingClient:
    """Passes requests to ``llm`` and counts code-writing calls and their cost."""

    def __init__(self, llm: Any):
        self.llm = llm
        self.calls = 0
        self.cost = 0.0
        self.max_tokens = getattr(llm, "max_tokens", None)  # the cap it answers within

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        response = await self.llm.complete(request)
        self.cost += float(response.cost or 0.0)
        return response


def cuts(candidate_pairs: list[tuple[float, bool]], budget: float, risk: float,
         min_answered: int) -> tuple[Cut | None, Cut]:
    """The budget's widest cut and the whole held-out set (threshold 0) as a cut."""
    total = len(candidate_pairs)
    disagreed = sum(not agreed for _, agreed in candidate_pairs)
    return (safe_cut(candidate_pairs, budget, alpha=risk, min_answered=min_answered),
            Cut(0.0, total, disagreed, total, risk))


def manual_cut(policy: Any, full: dict[str, Any] | None) -> dict[str, Any]:
    """The cut of a promotion the budget does not back (a manual trigger or install): the
    code answers at the user's confidence floor, else at the seed's default of 0.8."""
    floor = policy.confidence_threshold or MANUAL_THRESHOLD
    return {**(full or {"answered": 0, "disagreed": 0, "total": 0, "upper_bound": 1.0}),
            "threshold": floor, "coverage": 0.0, "manual": True}


def calibrated_pairs(result: Any) -> list[tuple[float, bool]]:
    """Held-out ``(calibrated confidence, agreed)`` pairs from a synthesis's calibration table."""
    return table_pairs(result.calibration)


def table_pairs(calibration: list[Any]) -> list[tuple[float, bool]]:
    """``(calibrated confidence, agreed)`` pairs, one per held-out answer a table counts."""
    pairs: list[tuple[float, bool]] = []
    for bin in calibration:
        pairs += [(bin.confidence, True)] * bin.agreed
        pairs += [(bin.confidence, False)] * (bin.count - bin.agreed)
    return pairs


class Evolver:
    """Owns every stage decision of ``executor``'s tasks (the executor only runs them)."""

    def __init__(self, executor: EvolutionaryExecutor,
                 record: Callable[[TaskState, str, str], None]):
        self.ex = executor
        self.record = record  # (state, previous stage, reason) -> mutation

    # --- the periodic check -------------------------------------------------------

    async def check(self, state: TaskState) -> float:
        """Demote, promote or refresh ``state`` as the evidence says; synthesis ms spent."""
        policy, evidence = state.policy, state.evidence
        budget, risk = policy.max_disagreement, policy.risk
        seen = self.ex.histories[state.name].seen
        if state.stage != "llm_only" and state.module is not None \
                and evidence.checks >= policy.min_answered \
                and beyond(evidence.disagreed, evidence.checks, budget, risk):
            target = previous_stage(state.stage) or "llm_only"
            await self.change_stage(state, target, (
                f"live checks beyond the budget: {evidence.disagreed}/{evidence.checks} "
                f"disagree, above {budget} even at the lower bound"))
            return 0.0
        if state.stage == "hybrid" and state.cut is not None:
            checks = evidence.checks
            k = int(state.cut["disagreed"]) + evidence.disagreed
            n = int(state.cut["answered"]) + checks
            if checks >= policy.code_first_min_checks and within(k, n, budget, risk):
                await self.change_stage(state, "code_first", (
                    f"{evidence.checks - evidence.disagreed}/{checks} live checks agree; "
                    f"with held-out, {k}/{n} disagree, within {budget}"))
                return 0.0
        if state.stage == "code_first" and state.full is not None:
            checks = evidence.checks + evidence.low_checks
            k = int(state.full["disagreed"]) + evidence.disagreed + evidence.low_disagreed
            n = int(state.full["answered"]) + checks
            if checks >= policy.code_only_min_checks and within(k, n, budget, risk):
                await self.change_stage(state, "code_only", (
                    f"over every input, {k}/{n} held-out and live checks disagree, "
                    f"within {budget}"))
                return 0.0
        if seen < state.next_synthesis_at:
            return 0.0
        if state.stage == "llm_only":
            return await self._try_promotion(state, seen)
        if state.module is None:
            return await self._make_missing_code(state)
        grown = max(state.synthesized_at * policy.refresh_growth,
                    state.synthesized_at + policy.resynthesis_after)
        if policy.refresh_growth and seen >= grown:
            return await self._refresh(state, seen)
        # Halfway to a refresh, a new model is tried without asking the LLM for code: stacked
        # under the code in place (which keeps what that code covers) and alone.
        halfway = max(state.synthesized_at * policy.refresh_growth ** 0.5,
                      state.synthesized_at + policy.resynthesis_after)
        if policy.refresh_growth and state.stage in ("hybrid", "code_first") \
                and seen >= halfway and state.stack_tried_at <= state.synthesized_at:
            state.stack_tried_at = seen
            return await refresh(self, state, seen, halfway=True)
        return 0.0

    async def _try_promotion(self, state: TaskState, seen: int) -> float:
        policy, metrics = state.policy, state.metrics
        if seen - state.train_from_seq < policy.execution_threshold \
                or metrics.success_rate < policy.success_rate_threshold:
            return 0.0
        candidate, spent = await self.synthesize(state)
        if candidate is None:
            return spent
        if candidate.cut is None or candidate.cut["coverage"] < policy.min_coverage:
            self.back_off(state)
            return spent
        await self.install(state, candidate)
        await self.change_stage(state, "hybrid", (
            f"{candidate.synthesizer}: {Cut.describe_dict(candidate.cut)}, "
            f"within {policy.max_disagreement}"))
        return spent

    async def _make_missing_code(self, state: TaskState) -> float:
        """A task declared at a code stage without code: synthesize once history allows."""
        candidate, spent = await self.synthesize(state)
        if candidate is None:
            return spent
        usable = candidate.full if state.stage == "code_only" else candidate.cut
        if usable is None or not within(int(usable["disagreed"]), int(usable["answered"]),
                                        state.policy.max_disagreement, state.policy.risk):
            self.back_off(state)
            return spent
        await self.install(state, candidate)
        await self.change_stage(state, state.stage, f"code synthesized ({candidate.synthesizer})")
        return spent

    async def _refresh(self, state: TaskState, seen: int) -> float:
        """New code from a grown history, kept only if it answers more (:mod:`.refresh`)."""
        return await refresh(self, state, seen)

    def recent_inputs(self, state: TaskState) -> list[Any]:
        """The recent traffic code answers (:func:`.refresh.recent_inputs`)."""
        return recent_inputs(self.ex, state)

    async def live_coverage(self, module: Any, cut: dict[str, Any], inputs: list[Any],
                            known: dict[str, bool] | None = None) -> float:
        """The share of ``inputs`` ``module`` answers (:func:`.refresh.live_coverage`)."""
        return await live_coverage(self.ex, module, cut, inputs, known)

    def explain(self, state: TaskState) -> str:
        """What the next stage needs and how far the task is, in one sentence."""
        policy, evidence = state.policy, state.evidence
        seen = self.ex.histories[state.name].seen
        budget = policy.max_disagreement
        if state.stage == "llm_only":
            have = seen - state.train_from_seq
            if have < policy.execution_threshold:
                return (f"hybrid needs {policy.execution_threshold} executions to learn from; "
                        f"{have} so far")
            rate = state.metrics.success_rate
            if rate < policy.success_rate_threshold:
                return (f"hybrid waits until the LLM answers at least "
                        f"{100 * policy.success_rate_threshold:.0f}% of executions validly; "
                        f"{100 * rate:.0f}% so far")
            last = state.last_synthesis or {}
            if "error" in last:
                return (f"last synthesis failed: {last['error']}; "
                        f"next try at {state.next_synthesis_at}")
            if last:
                return (f"hybrid needs code answering >= {100 * policy.min_coverage:.0f}% within "
                        f"{budget}; best: {last.get('synthesizer')}, "
                        f"{Cut.describe_dict(last.get('cut'))}; next try at "
                        f"{state.next_synthesis_at}")
            return "hybrid: first synthesis at the next check"
        if state.stage == "hybrid":
            return (f"code_first needs {policy.code_first_min_checks} live checks within {budget} "
                    f"(pooled with held-out); {evidence.checks} so far, "
                    f"{evidence.disagreed} disagreed")
        if state.stage == "code_first":
            checks = evidence.checks + evidence.low_checks
            full = Cut.describe_dict(state.full).replace("answers", "over all inputs:", 1)
            return (f"code_only needs every input within {budget} and "
                    f"{policy.code_only_min_checks} live checks; {checks} so far; held-out {full}")
        return (f"code_only: audits {100 * policy.audit_rate:.0f}% of answers; "
                f"{state.metrics.audits} audits so far; their change detector stands at "
                f"{state.detector.score:.2f} and sends the task back to the LLM at "
                f"{state.detector.h}")

    # --- change -------------------------------------------------------------------

    async def on_change(self, state: TaskState) -> None:
        """The audits' change detector alarmed: back to the LLM, learn from after the change."""
        detector, seen = state.detector, self.ex.histories[state.name].seen
        start = max(detector.started_at, state.train_from_seq)
        # Where the change began is an estimate (early after a chance disagreement): every memo
        # answer from before the alarm goes; the audit's own answer (this execution) stays.
        dropped = state.memo.forget_before(seen + 1)
        state.train_from_seq = start
        state.drift_events += 1
        state.next_synthesis_at = 0
        detector.reset(seen)
        reason = (f"change detected: audits disagree (CUSUM {detector.h}); learning again from "
                  f"execution {start}, {dropped} memo answers dropped")
        await self.change_stage(state, "llm_only", reason, keep_module=False)

    # --- synthesis ----------------------------------------------------------------

    def codegen_allowed(self, state: TaskState, examples: int, majority: float) -> bool:
        """May the LLM be asked for code now?

        Only when the last synthesis showed the task learnable (its best held-out
        agreement beats always answering the most common answer, ``majority``, by
        ``codegen_min_lift``) but not yet answered in full within the budget; when the
        request's estimated cost keeps code-writing within ``codegen_max_share`` of what
        the task's LLM calls cost; and not while paused after refusals.
        """
        policy, llm = state.policy, self.ex.llm
        seen = self.ex.histories[state.name].seen
        last = state.last_synthesis or {}
        if llm is None or policy.codegen_max_share <= 0 or seen < state.codegen_paused_until \
                or "heldout_agreement" not in last:
            return False
        if float(last["heldout_agreement"]) < majority + policy.codegen_min_lift:
            return False  # nothing learnt beyond the majority answer: code will not help
        full = last.get("full") or {}
        if full and within(int(full["disagreed"]), int(full["answered"]),
                           policy.max_disagreement, policy.risk):
            return False  # the students already answer everything within the budget
        costs = state.costs
        mean_size = costs.sx / costs.n if costs.n else 0.0
        one = codegen_cost_bound(llm, costs, CODEGEN_OVERHEAD_CHARS + examples * mean_size,
                                 codegen_max_tokens(llm))
        if one is None:
            return False
        return state.metrics.codegen_cost + one <= policy.codegen_max_share * costs.llm_cost

    async def synthesize(self, state: TaskState, *, codegen: bool = True
                         ) -> tuple[Candidate | None, float]:
        """A candidate from history since the last change (``None`` and back off on failure);
        ``codegen=False``: the LLM is not asked for code."""
        from evomachine.evolution.synthesis import SynthesisError, synthesize
        from evomachine.evolution.synthesis import TaskSpec as SynthesisSpec

        ex, policy = self.ex, state.policy
        spec = ex.task_spec(state.name)
        history = ex.histories[state.name]
        records = [r for r in history.training_records() if r.seq > state.train_from_seq]
        target = SynthesisSpec(name=spec.name, prompt=spec.prompt.source, output_schema=spec.schema)
        examples = 20
        answers = [canonical(r.llm_output) for r in records if r.llm_output is not None]
        majority = max(Counter(answers).values()) / len(answers) if answers else 1.0
        client = CountingClient(ex.llm) \
            if codegen and self.codegen_allowed(state, examples, majority) else None
        version = f"v{state.code_version + 1}"
        started = time.perf_counter()
        try:
            result = await synthesize(target, records, client, version=version, seed=ex.seed,
                                      codegen_examples=examples, host=ex.sandbox,
                                      rank=lambda table: self.safe_coverage(state, table))
            path = code_path(ex.machine_id, state.name, version)
            module = result.module if ex.module_loader is None else \
                ex.module_loader(result.code, path)
        except Interrupted:  # Pause: a code-writing call already paid for still counts
            if client is not None and client.calls:
                state.metrics.add_codegen(client.calls, client.cost)
            raise
        except Exception as error:  # SynthesisError, or a loader/synthesizer bug: never a crash
            kind = "" if isinstance(error, SynthesisError) else f"{type(error).__name__}: "
            state.last_synthesis = {"at": history.seen, "error": f"{kind}{error}"}
            result = None
        spent = (time.perf_counter() - started) * 1000.0
        state.metrics.add_synthesis(spent)
        if client is not None:
            state.metrics.add_codegen(client.calls, client.cost)
            self._codegen_outcome(state, result, history.seen)
        if result is None:
            self.back_off(state)
            return None, spent
        pairs = calibrated_pairs(result)
        cut, full = cuts(pairs, policy.max_disagreement, policy.risk, policy.min_answered)
        state.last_synthesis = {"at": history.seen, "synthesizer": result.synthesizer,
                                "heldout_agreement": result.heldout_agreement,
                                "scores": result.scores,
                                "cut": cut.as_dict() if cut else None, "full": full.as_dict(),
                                "codegen_asked": client is not None, "ms": round(spent, 1),
                                "majority": round(majority, 6),
                                "installed_version": None}  # install() sets it
        return Candidate(result.code, result.synthesizer, result.heldout_agreement, module,
                         cut.as_dict() if cut else None, full.as_dict(), result), spent

    @staticmethod
    def safe_coverage(state: TaskState, calibration: list[Any]) -> float:
        """The share of held-out inputs a candidate with this calibration table may answer
        within the error budget (0 without a safe cut): candidates compete on it."""
        policy = state.policy
        cut, _ = cuts(table_pairs(calibration), policy.max_disagreement, policy.risk,
                      policy.min_answered)
        return cut.coverage if cut is not None else 0.0

    def _codegen_outcome(self, state: TaskState, result: Any, seen: int) -> None:
        score = (result.scores.get("llm_code") if result is not None else None) or {}
        if result is not None and score and "dropped" not in score:
            state.codegen_failures = 0
            return
        state.codegen_failures += 1
        if state.codegen_failures >= state.policy.codegen_max_failures:
            state.codegen_failures = 0
            state.codegen_paused_until = int(seen * state.policy.codegen_pause_growth)

    def back_off(self, state: TaskState) -> None:
        """After a synthesis that gave nothing usable, wait for history to grow before retrying:
        ``resynthesis_growth`` when the students learnt something, its square when they did not
        (a task nothing can learn spends its tries in vain)."""
        policy = state.policy
        seen = self.ex.histories[state.name].seen
        state.synthesis_failures += 1
        growth = policy.resynthesis_growth if learnt_something(state) \
            else policy.resynthesis_growth ** 2
        state.next_synthesis_at = max(seen + policy.resynthesis_after, int(seen * growth))

    # --- installing and moving ----------------------------------------------------

    async def install(self, state: TaskState, candidate: Candidate) -> None:
        """Make ``candidate`` the task's next code version and save it (``storage.save_code``)."""
        ex = self.ex
        version = state.code_version + 1
        path = code_path(ex.machine_id, state.name, version)
        state.code, state.code_path, state.code_version = candidate.code, path, version
        state.module, state.synthesizer = candidate.module, candidate.synthesizer
        state.heldout_agreement = candidate.heldout_agreement
        state.cut, state.full = candidate.cut, candidate.full
        state.code_load_tried = True
        state.synthesis_failures = 0
        state.kills = 0
        if state.last_synthesis:
            # Whether the last synthesis's scores are this version's (the page's View code
            # marks its winner installed only then), or code from elsewhere came after it.
            key = "installed_version" if candidate.synthesis is not None else "replaced_by"
            state.last_synthesis[key] = version
        if candidate.synthesizer.startswith("stacked:"):
            # The code in place still answers where it did: its checks above the cut stand
            # (and the next refresh comes when it would have).
            state.evidence.low_checks = state.evidence.low_disagreed = 0
        else:
            state.synthesized_at = ex.histories[state.name].seen
            state.evidence.__init__()
        if ex.storage is not None:
            await ex.storage.save_code(path, candidate.code)
            ex.persisted.code_paths.add(path)

    async def change_stage(self, state: TaskState, target: str, reason: str, *,
                           keep_module: bool = True) -> None:
        """Move to ``target`` (or stay, with new code): live evidence starts again."""
        previous = state.stage
        state.stage = check_stage(target)
        state.evidence.__init__()
        state.metrics.reset_stage()
        if not keep_module:
            state.module, state.cut, state.full = None, None, None
            state.code_load_tried = True
        self.record(state, previous, reason)

    async def promote_now(self, state: TaskState) -> str:
        """One stage up at once (``trigger_evolution``), synthesizing code if there is none."""
        from evomachine.evolution.stages import EvolutionError

        target = next_stage(state.stage)
        if target is None:
            raise EvolutionError(f"task {state.name!r} is already at code_only, the last stage; "
                                 "there is nothing to evolve to")
        candidate, _ = await self.synthesize(state)
        if candidate is not None:
            if candidate.cut is None:
                candidate.cut = manual_cut(state.policy, candidate.full)
            await self.install(state, candidate)
        elif state.module is None:
            error = (state.last_synthesis or {}).get("error", "no history")
            raise EvolutionError(f"task {state.name!r} cannot move to {target}: no code could be "
                                 f"synthesized ({error})")
        await self.change_stage(state, target, "promoted by hand (trigger_evolution), without "
                                "the error budget's evidence")
        return target


def learnt_something(state: TaskState) -> bool:
    """Whether the last synthesis's best held-out agreement beat always giving the most common
    answer by ``codegen_min_lift``: the task is learnable, if not yet within the budget."""
    last = state.last_synthesis or {}
    if "heldout_agreement" not in last or "majority" not in last:
        return False
    return float(last["heldout_agreement"]) >= float(last["majority"]) + \
        state.policy.codegen_min_lift
