"""``synthesize``: fit every candidate on train, score it on held-out, emit the winner.

The winner has the best ``rank`` (the executor's: the share of held-out inputs it may
answer within the error budget), then the best held-out agreement with the LLM, then
is the simpler synthesizer (``base.SIMPLICITY``). Its confidence table is fitted
on its held-out raw scores; then it is refitted on all examples, rendered,
checked, loaded through the sandbox and spot-checked against the in-process
model before the code is returned.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from evomachine.cooperate import checkpoint, interruptible, pause
from evomachine.evolution.synthesis.base import SIMPLICITY, FittedModel
from evomachine.evolution.synthesis.calibration import apply, cross_fitted_ece, fit_calibration
from evomachine.evolution.synthesis.classifier import FeatureCache, fit_naive_bayes
from evomachine.evolution.synthesis.dataset import (
    Example,
    examples_from_records,
    folds,
    label_key,
    split,
)
from evomachine.evolution.synthesis.linear import fit_linear
from evomachine.evolution.synthesis.llm_codegen import (
    CodegenFailure,
    LLMCodeModel,
    ask_for_code,
    build_prompt,
    pick_examples,
)
from evomachine.evolution.synthesis.lookup import all_labels, fit_exact, fit_normalized
from evomachine.evolution.synthesis.render import (
    check_module,
    load_checked,
    output_type,
    render_module,
)
from evomachine.evolution.synthesis.spec import (
    CalibrationBin,
    SynthesisError,
    SynthesisResult,
    TaskSpec,
)
from evomachine.history import ExecutionRecord
from evomachine.llm.base import LLMClient

MIN_EXAMPLES = 4
# Below this many examples the in-process candidates are scored by k-fold cross-fitting
# (k = 1 / holdout_fraction): one small held-out set is too noisy to decide a promotion.
CROSS_FIT_BELOW = 4000
Fitter = Callable[[list[Example], list[Any]], FittedModel]


class Evaluation:
    """A candidate's held-out answers: (raw score, agreed) pairs, errors and hits.

    A failing answer counts as a disagreement. Once ``max_errors`` answers have
    failed and failures outnumber answers, the rest are not tried (``aborted``):
    code that loops until its budget trips should not cost a budget per input.
    """

    def __init__(self, model: FittedModel, heldout: Sequence[Example], max_errors: int = 5):
        self.model = model
        self.pairs: list[tuple[float, bool]] = []
        self.inputs: list[Any] = []  # the input of each pair
        self.errors: list[str] = []
        self.aborted = False
        covered = 0
        for example in heldout:
            if len(self.errors) >= max_errors and len(self.errors) > len(self.pairs):
                self.aborted = True
                break
            try:
                checkpoint(64)
                output, raw = model.predict(example.input)
            except Exception as error:  # generated code failing is a failed answer, not a crash
                self.errors.append(f"{type(error).__name__}: {error}")
                continue
            self.pairs.append((raw, output == example.label))
            self.inputs.append(example.input)
            covered += raw > 0
        total = self.total = len(heldout)
        self.agreement = sum(ok for _, ok in self.pairs) / total if total else 0.0
        self.coverage = covered / total if total else 0.0

    @classmethod
    def merged(cls, parts: Sequence[Evaluation]) -> Evaluation:
        """One evaluation over several folds' held-out answers (the last fold's model)."""
        merged = cls.__new__(cls)
        merged.model = parts[-1].model
        merged.pairs = [pair for part in parts for pair in part.pairs]
        merged.inputs = [input for part in parts for input in part.inputs]
        merged.errors = [error for part in parts for error in part.errors]
        merged.aborted = any(part.aborted for part in parts)
        merged.total = sum(part.total for part in parts)
        agreed = sum(ok for _, ok in merged.pairs)
        covered = sum(part.coverage * part.total for part in parts)
        merged.agreement = agreed / merged.total if merged.total else 0.0
        merged.coverage = covered / merged.total if merged.total else 0.0
        return merged

    def score(self, n_train: int, fit_ms: float) -> dict[str, Any]:
        result: dict[str, Any] = {
            "heldout_agreement": round(self.agreement, 4),
            "coverage": round(self.coverage, 4),
            "n_train": n_train,
            "n_heldout": self.total,
            "calibration_error": cross_fitted_ece(self.pairs),
            "fit_ms": round(fit_ms, 1),
        }
        if self.errors:
            result["errors"] = len(self.errors)
            result["first_error"] = self.errors[0]
            result["aborted"] = self.aborted
        return result


def ordered_labels(spec: TaskSpec, examples: list[Example]) -> list[Any]:
    """Labels the examples carry, in the schema's order first, then as first seen."""
    seen = all_labels(examples)
    keys = {label_key(label) for label in seen}
    schema = [value for value in spec.output_values or [] if label_key(value) in keys]
    schema_keys = {label_key(value) for value in schema}
    return schema + [label for label in seen if label_key(label) not in schema_keys]


def fitters(
    max_features: int, cache: FeatureCache | None = None, seed: int = 0
) -> dict[str, Fitter]:
    """The in-process synthesizers by name; ``cache`` shares features between fits and
    ``seed`` shuffles the linear model's training passes."""
    return {
        "exact_lookup": fit_exact,
        "normalized_lookup": fit_normalized,
        "naive_bayes": lambda examples, labels: fit_naive_bayes(
            examples, labels, max_features=max_features, cache=cache
        ),
        "linear": lambda examples, labels: fit_linear(
            examples, labels, max_features=max_features, cache=cache, seed=seed
        ),
    }


def code_path_hint(spec: TaskSpec, version: str) -> str:
    return f"generated/{spec.name}_{version}.py"


async def llm_candidate(spec: TaskSpec, llm: LLMClient, train: list[Example], *, examples: int,
                        seed: int, filename: str, budget: Any, host: Any = None) -> LLMCodeModel:
    """Ask the LLM for code and load it (uncalibrated) through the sandbox ``host`` (this
    interpreter's sandbox when ``None``)."""
    shown = pick_examples(train, examples, seed)
    prompt = build_prompt(spec.prompt, spec.output_values, output_type(spec), shown)
    code, model_name = await ask_for_code(llm, task=spec.name, prompt=prompt,
                                          output_schema=spec.output_schema, examples=len(shown))
    model = LLMCodeModel(code, model_name)
    source = render_module(spec, model, version="candidate", calibration=[], trained_on=len(train),
                           heldout_agreement=0.0, heldout_size=0)
    try:
        model.module = await load_through(host, source, filename, budget)
    except Exception as error:  # SandboxError, SynthesisError or anything the loader raises
        reason = f"the sandbox refused the code: {type(error).__name__}: {error}"
        raise CodegenFailure(reason) from error
    return model


async def load_through(host: Any, code: str, filename: str, budget: Any) -> Any:
    """Check ``code`` and load it in ``host`` (a sandbox host), or in-process without one."""
    if host is None:
        return load_checked(code, filename, budget)
    check_module(code, filename)
    return await host.load(code, filename, budget)


async def verify(code: str, filename: str, model: FittedModel, inputs: list[Any],
                 calibration: Any, budget: Any, host: Any = None) -> Any:
    """Load the rendered module, check it answers exactly like the in-process model, return it."""
    module = await load_through(host, code, filename, budget)
    if host is None:
        results: list[Any] = [module.execute(input, {}) for input in inputs]
    else:
        results = await module.execute_many(inputs, {}) if inputs else []
    for input, result in zip(inputs, results, strict=True):
        output, raw = model.predict(input)
        if isinstance(result, Exception):
            raise SynthesisError(f"{filename}: the generated module failed on {input!r}: "
                                 f"{type(result).__name__}: {result}")
        if result["output"] != output or result["confidence"] != apply(calibration, raw):
            raise SynthesisError(
                f"{filename}: the generated module answers {result['output']!r} "
                f"(confidence {result['confidence']}) for {input!r}, the in-process model "
                f"{output!r} (confidence {apply(calibration, raw)}): a synthesizer template bug"
            )
    return module


async def synthesize(
    spec: TaskSpec,
    records: Iterable[ExecutionRecord],
    llm: LLMClient | None = None,
    *,
    version: str = "v1",
    holdout_fraction: float = 0.25,
    seed: int = 0,
    synthesizers: Iterable[str] | None = None,
    max_features: int = 2500,
    codegen_examples: int = 20,
    verify_inputs: int = 25,
    budget: Any = None,
    host: Any = None,
    rank: Callable[[list[CalibrationBin]], float] | None = None,
) -> SynthesisResult:
    """Synthesize the task's code from the LLM's successful answers in ``records``.

    ``synthesizers`` limits the candidates (names in ``base.SIMPLICITY``); the
    LLM candidate runs only when ``llm`` is given. The rendered module is
    loaded through the sandbox (calls limited by ``budget``) and must answer
    the first ``verify_inputs`` held-out inputs exactly like the in-process
    model. With a sandbox ``host`` (a process or Worker boundary) the LLM's code and
    the final module are loaded and run there, never in this interpreter. ``rank``
    scores a candidate from its held-out calibration table (the executor: the share of
    inputs it may answer within the error budget); the best score wins, then held-out
    agreement, then simplicity. Raises ``SynthesisError`` when there are fewer than four
    usable records or no candidate survives.
    """
    started = time.perf_counter()
    examples = examples_from_records(records)
    if len(examples) < MIN_EXAMPLES:
        raise SynthesisError(
            f"task {spec.name!r}: need at least {MIN_EXAMPLES} successful records with an "
            f"LLM answer to synthesize code, got {len(examples)}"
        )
    wanted = set(SIMPLICITY if synthesizers is None else synthesizers)
    unknown = wanted - set(SIMPLICITY)
    if unknown:
        raise ValueError(
            f"unknown synthesizer(s) {sorted(unknown)}; choose from {list(SIMPLICITY)}"
        )
    train, heldout = split(examples, holdout_fraction, seed)
    filename = code_path_hint(spec, version)
    scores: dict[str, dict[str, Any]] = {}
    evaluations: dict[str, Evaluation] = {}
    fits = fitters(max_features, FeatureCache(), seed)
    k = round(1 / holdout_fraction)
    cross_fit = k >= 2 and k <= len(examples) < CROSS_FIT_BELOW
    rounds = folds(examples, k, seed) if cross_fit else [(train, heldout)]
    for name, fit in fits.items():
        if name in wanted:
            fit_started = time.perf_counter()
            parts = []
            for fold_train, fold_heldout in rounds:
                parts.append(Evaluation(fit(fold_train, ordered_labels(spec, fold_train)),
                                        fold_heldout))
                await pause()
            fit_ms = (time.perf_counter() - fit_started) * 1000
            evaluations[name] = Evaluation.merged(parts)
            scores[name] = evaluations[name].score(len(rounds[0][0]), fit_ms)
            scores[name]["cross_fitted_folds"] = len(rounds) if cross_fit else 0
    if llm is not None and "llm_code" in wanted:
        fit_started = time.perf_counter()
        try:
            model = await llm_candidate(spec, llm, train, examples=codegen_examples, seed=seed,
                                        filename=filename, budget=budget, host=host)
            if host is not None:
                await model.measure([example.input for example in heldout])
        except CodegenFailure as failure:
            scores["llm_code"] = {"dropped": failure.reason}
        else:
            evaluation = Evaluation(model, heldout)
            score = evaluation.score(len(train), (time.perf_counter() - fit_started) * 1000)
            if evaluation.aborted or not evaluation.pairs:
                reason = f"failed on most held-out inputs: {evaluation.errors[0]}"
                scores["llm_code"] = {**score, "dropped": reason}
            else:
                evaluations["llm_code"] = evaluation
                scores["llm_code"] = score
    if not evaluations:
        raise SynthesisError(f"task {spec.name!r}: no candidate survived: {scores}")
    calibrations = {name: fit_calibration(evaluation.pairs)
                    for name, evaluation in evaluations.items()}
    ranks = {name: rank(calibrations[name]) if rank is not None else 0.0
             for name in evaluations}
    for name, value in ranks.items():
        if rank is not None:
            scores[name]["rank"] = round(value, 4)
    winner = max(evaluations, key=lambda name: (
        ranks[name], evaluations[name].agreement, -SIMPLICITY.index(name)))
    chosen = evaluations[winner]
    calibration = calibrations[winner]
    final = chosen.model
    if winner in fits:
        final = fits[winner](examples, ordered_labels(spec, examples))
        await pause()
    code = render_module(
        spec, final, version=version, calibration=calibration, trained_on=len(examples),
        heldout_agreement=chosen.agreement, heldout_size=chosen.total,
    )
    inputs = [example.input for example in heldout[:verify_inputs]]
    await pause()
    module = await interruptible(verify(code, filename, final, inputs, calibration, budget, host))
    for name in scores:
        scores[name]["selected"] = name == winner
    return SynthesisResult(
        task=spec.name,
        version=version,
        code=code,
        synthesizer=winner,
        scores=scores,
        calibration=calibration,
        heldout_agreement=round(chosen.agreement, 4),
        train_size=len(rounds[0][0]) if winner in fits else len(train),
        heldout_size=chosen.total,
        code_path_hint=filename,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        module=module,
        model=final,
        heldout={name: list(zip(evaluation.inputs, evaluation.pairs, strict=True))
                 for name, evaluation in evaluations.items() if name in fits},
        refit={name: functools.partial(fits[name], examples, ordered_labels(spec, examples))
               for name in evaluations if name in fits},
    )
