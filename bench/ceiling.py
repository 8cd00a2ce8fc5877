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
with "EvoMachine" in ``bench/evolution.py``.
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
from workloads import REAL, Workload, bundled, real  # noqa: E402

from evomachine.evolution.synthesis.classifier import FeatureCache, fit_naive_bayes  # noqa: E402
from evomachine.evolution.synthesis.dataset import Example  # noqa: E402
from evomachine.evolution.synthesis.linear import fit_linear  # noqa: E402

SIZES = (25, 50, 100, 200, 400, 800, 1600)
ACCURACY = 0.95


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


def learning_curve(workload: Workload, budget: float, seed: int) -> list[tuple[int, float]]:
    """``(n, coverage)``: the better student trained on the first ``n`` distinct inputs."""
    answers = llm_answers(workload, seed)
    pool: dict[str, Example] = {}
    for record in workload.records:
        key = workload.key(record)
        if key not in pool:
            pool[key] = Example({f: record[f] for f in workload.input_fields}, answers[key])
    examples = list(pool.values())
    held = min(500, len(examples) // 4)
    train, test = examples[:-held], examples[-held:]
    labels = sorted(workload.labels)
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
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    workloads = [w for w in bundled(args.only) + real([n for n in args.only or REAL if n in REAL])
                 if len(w.answers) == 1]
    headers = ["workload", "distinct / classes", *(f"n={n}" for n in SIZES),
               "exact cache", "ceiling"]
    rows = []
    for workload in workloads:
        curve = learning_curve(workload, args.budget, args.seed)
        shape = workload.shape(args.executions)
        executions = min(args.executions, len(workload.records))
        calls = ideal_calls(workload, curve, executions)
        measured = dict(curve)
        rows.append([workload.name, f"{shape['distinct_inputs']:,} / {shape['classes']}",
                     *(f"{100 * measured[n]:.0f} %" if n in measured else "" for n in SIZES),
                     f"{100 * (1 - shape['distinct_inputs'] / executions):.1f} %",
                     f"{100 * (1 - calls / executions):.1f} %"])
        print(f"{workload.name}: {curve}", file=sys.stderr)
    print(f"Coverage within a disagreement of {args.budget} (point estimate) after n labels, "
          f"and LLM calls avoided over {args.executions} executions:\n")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
