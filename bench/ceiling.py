"""How much could any policy save with EvoMachine's students? A ceiling per workload.

    .venv/bin/python bench/ceiling.py [--executions 2000] [--budget 0.10] [--only NAME ...]

For each workload of ``bench/evolution.py`` whose answers do not change, the learning curve
of the in-process students (naive Bayes and the linear model, the better of the two at each
size): trained on the answers of a consistent LLM right 95% of the time to the first ``n``
distinct inputs of the stream, and measured on distinct inputs held out from the end of it.
"Coverage" is the largest share of the held-out inputs the student can answer, most
confident first, while disagreeing with the LLM on at most ``--budget`` of them: a point
estimate with the threshold chosen on the test set itself, no confidence bound.

From the curve, the LLM calls of an ideal policy over ``--executions`` executions: repeats
are free (a memo), and each first sighting is answered by code with the coverage that the
labels gathered so far give, as if the student were retrained after every answer, its cut
known exactly and nothing audited. No policy that learns only from the LLM's answers with
these students can avoid more calls, so a done-when target above this ceiling needs a
stronger student (or code the LLM writes), not a better policy. Compare the last column
with "EvoMachine" in ``bench/evolution.py``. (Semi-supervised naive Bayes is left out: in
this ideal every input is labelled, so nothing is left for it to learn from.)

"Certified ideal": the same ideal policy, but a cut counts only where the error budget's
rule certifies it, as the engine must: the first ``n`` distinct inputs' answers cross-fitted
in four folds, calibrated, and cut where the one-sided 95% Clopper–Pearson bound of the
disagreement is within ``--budget`` (``bounds.safe_cut``, 20 answers at least); the share of
the held-out answers above the cut is the coverage. Its mean and range over ``--seeds``
draws of the LLM's mistakes (the seed also shuffles the folds). It is not a proof of a
limit (a policy that stacks models, or that is lucky at 50 answers, can do better), but it
shows how far a 5% noise floor under a 10% budget holds the certification back.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "py_src")]

from _harness import table  # noqa: E402
from workloads import Workload, bundled, real  # noqa: E402

from evomachine.evolution.bounds import safe_cut  # noqa: E402
from evomachine.evolution.synthesis.calibration import apply, fit_calibration  # noqa: E402
from evomachine.evolution.synthesis.classifier import FeatureCache, fit_naive_bayes  # noqa: E402
from evomachine.evolution.synthesis.dataset import Example, folds  # noqa: E402
from evomachine.evolution.synthesis.linear import fit_linear  # noqa: E402

SIZES = (25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1200, 1600)  # both curves, measured
SHOWN = (25, 50, 100, 200, 400, 800, 1600)  # the point curve's columns in the table
ACCURACY = 0.95
FOLDS = 4


def llm_answers(workload: Workload, seed: int) -> dict[str, Any]:
    """A consistent LLM's answer per distinct input: right ``ACCURACY`` of the time."""
    truth = workload.answers[0][1]
    answers = {}
    for key, right in truth.items():
        rng = random.Random(f"{seed}|{workload.name}|{key}")
        others = [label for label in workload.labels if label != right]
        answers[key] = right if rng.random() < ACCURACY or not others else rng.choice(others)
    return answers


def coverage(model: Any, test: list[Example], budget: float) -> float:
    """The largest share of ``test`` answerable, most confident first, within ``budget``."""
    scored = sorted(((*model.predict(example.input), example.label) for example in test),
                    key=lambda row: -row[1])
    best = disagreed = 0
    for answered, (output, _, label) in enumerate(scored, 1):
        disagreed += output != label
        if disagreed <= budget * answered:
            best = answered
    return best / len(test)


def labelled(workload: Workload, seed: int) -> tuple[list[Example], list[Example], list[Any]]:
    """The distinct inputs with the LLM's answers, in stream order: ``(train, test, labels)``,
    the test set the last ones (at most 500, a quarter)."""
    answers = llm_answers(workload, seed)
    pool: dict[str, Example] = {}
    for record in workload.records:
        key = workload.key(record)
        if key not in pool:
            pool[key] = Example({f: record[f] for f in workload.input_fields}, answers[key])
    examples = list(pool.values())
    held = min(500, len(examples) // 4)
    return examples[:-held], examples[-held:], sorted(workload.labels)


def certified_coverage(examples: list[Example], labels: list[Any], budget: float,
                       seed: int) -> float:
    """The share of ``examples`` above the widest certified cut of the better student, from
    their answers cross-fitted in ``FOLDS`` folds and calibrated (as the engine cuts)."""
    best = 0.0
    for fit in (fit_naive_bayes, fit_linear):
        cache = FeatureCache()
        pairs = []
        for train, heldout in folds(examples, FOLDS, seed):
            model = fit(train, labels, cache=cache)
            for example in heldout:
                output, raw = model.predict(example.input)
                pairs.append((raw, output == example.label))
        table = fit_calibration(pairs)
        cut = safe_cut([(apply(table, raw), agreed) for raw, agreed in pairs], budget)
        if cut is not None:
            best = max(best, cut.answered / len(examples))
    return best


def certified_curve(workload: Workload, budget: float, seed: int) -> list[tuple[int, float]]:
    """``(n, coverage)`` of :func:`certified_coverage` on the first ``n`` distinct inputs."""
    train, _, labels = labelled(workload, seed)
    return [(n, certified_coverage(train[:n], labels, budget, seed))
            for n in SIZES if n <= len(train)]


def learning_curve(workload: Workload, budget: float, seed: int) -> list[tuple[int, float]]:
    """``(n, coverage)``: the better student trained on the first ``n`` distinct inputs."""
    train, test, labels = labelled(workload, seed)
    curve = []
    for n in SIZES:
        if n > len(train):
            break
        cache = FeatureCache()
        first = train[:n]
        best = max(coverage(fit(first, labels, cache=cache), test, budget)
                   for fit in (fit_naive_bayes, fit_linear))
        curve.append((n, best))
    return curve


def at(curve: list[tuple[int, float]], n: float) -> float:
    """The curve's coverage after ``n`` labels, linear between measured sizes, 0 before; the
    best so far (the ideal policy keeps an earlier student that did better)."""
    if not curve or n < curve[0][0]:
        return 0.0
    best = 0.0
    curve = [(size, best := max(best, value)) for size, value in curve]
    for (n0, c0), (n1, c1) in itertools.pairwise(curve):
        if n0 <= n <= n1:
            return c0 + (c1 - c0) * (n - n0) / (n1 - n0)
    return curve[-1][1]


def ideal_calls(workload: Workload, curve: list[tuple[int, float]], executions: int) -> float:
    """Expected LLM calls of the ideal policy over the first ``executions`` records."""
    seen: set[str] = set()
    labels = calls = 0.0
    for record in workload.records[:executions]:
        key = workload.key(record)
        if key in seen:
            continue
        seen.add(key)
        asked = 1.0 - at(curve, labels)
        calls += asked
        labels += asked
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--budget", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=3,
                        help="draws of the LLM's mistakes for the certified ideal")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    workloads = [w for w in bundled(args.only) + real(args.only)
                 if len(w.answers) == 1]
    headers = ["workload", "distinct / classes", *(f"n={n}" for n in SHOWN),
               "exact cache", "ceiling", "certified ideal (range)"]
    rows = []
    for workload in workloads:
        curve = learning_curve(workload, args.budget, args.seed)
        shape = workload.shape(args.executions)
        executions = min(args.executions, len(workload.records))
        calls = ideal_calls(workload, curve, executions)
        measured = dict(curve)
        certified = [100 * (1 - ideal_calls(workload, certified_curve(workload, args.budget, seed),
                                            executions) / executions)
                     for seed in range(args.seed, args.seed + args.seeds)]
        rows.append([workload.name, f"{shape['distinct_inputs']:,} / {shape['classes']}",
                     *(f"{100 * measured[n]:.0f} %" if n in measured else "" for n in SHOWN),
                     f"{100 * (1 - shape['distinct_inputs'] / executions):.1f} %",
                     f"{100 * (1 - calls / executions):.1f} %",
                     f"{sum(certified) / len(certified):.1f} % ({min(certified):.1f}–"
                     f"{max(certified):.1f})"])
        print(f"{workload.name}: {curve}", file=sys.stderr)
    print(f"Coverage within a disagreement of {args.budget} (point estimate) after n labels, "
          f"and LLM calls avoided over {args.executions} executions (the certified ideal: "
          f"mean of {args.seeds} seeds):\n")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
