"""Messy country names to ISO 3166-1 alpha-2 codes, from pycountry's copy of Debian's iso-codes.

Fifty countries, each spelled up to eighteen ways: its English, official and
common names, its alpha-3 code, its names in sixteen languages written in
Latin script (from iso-codes' translations), and some of those typed sloppily
(lower or upper case, accents dropped, a stray article or punctuation). A
spelling that could mean two countries is left out. The stream draws the
spellings with Zipf weights, as a form field's values come in.

    .venv/bin/python bench/workloads/countries.py
"""

from __future__ import annotations

import gettext
import io
import json
import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]),
                    str(Path(__file__).resolve().parents[2] / "py_src")]

from workloads import Codegen, Workload, codewriters, machine_text
from workloads.sources import PYCOUNTRY

LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "nb_NO", "fi", "cs", "tr", "id",
             "ro", "hu")
KNOWN_LANGUAGES = ("de", "fr", "es")  # what the code-writing model puts in its table
COUNTRIES = 50
SPELLINGS = 18
EXPONENT = 0.6
SEED = 4201


def _latin(text: str) -> bool:
    return all("LATIN" in unicodedata.name(ch, "") or not ch.isalpha() for ch in text)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load() -> tuple[list[dict[str, str]], dict[str, gettext.GNUTranslations]]:
    """The ISO 3166-1 entries and the translation catalogues of ``LANGUAGES``."""
    files = PYCOUNTRY.members("pycountry/")
    countries = json.loads(files["pycountry/databases/iso3166-1.json"])["3166-1"]
    catalogues = {
        language: gettext.GNUTranslations(io.BytesIO(
            files[f"pycountry/locales/{language}/LC_MESSAGES/iso3166-1.mo"]))
        for language in LANGUAGES
    }
    return countries, catalogues


def english_names(country: dict[str, str]) -> list[str]:
    names = [country["name"], country.get("official_name"), country.get("common_name")]
    return list(dict.fromkeys(name for name in names if name))


def translations(country: dict[str, str], catalogues: dict[str, gettext.GNUTranslations],
                 languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    found = []
    for language in languages:
        for name in english_names(country):
            translated = catalogues[language].gettext(name)
            if translated != name and _latin(translated):
                found.append(translated)
    return list(dict.fromkeys(found))


def sloppy(rng: random.Random, name: str) -> str:
    """One way a person types ``name`` carelessly."""
    kind = rng.randrange(5)
    if kind == 0:
        return name.lower()
    if kind == 1:
        return name.upper()
    if kind == 2 and _strip_accents(name) != name:
        return _strip_accents(name)
    if kind == 3:
        return f"{name}."
    return f"  {name.lower()} "


def spellings(rng: random.Random, country: dict[str, str],
              catalogues: dict[str, gettext.GNUTranslations]) -> list[str]:
    """About ``SPELLINGS`` distinct ways to write one country."""
    base = [*english_names(country), country["alpha_3"]]
    others = translations(country, catalogues)
    rng.shuffle(others)
    chosen = list(dict.fromkeys([*base, *others]))[: SPELLINGS - 3]
    clean = list(chosen)
    for _ in range(50):
        if len(chosen) >= SPELLINGS:
            break
        variant = sloppy(rng, rng.choice(clean))
        if variant not in chosen:
            chosen.append(variant)
    return chosen


Catalogues = dict[str, gettext.GNUTranslations]


def build(seed: int = SEED) -> tuple[dict[str, str], list[dict[str, str]], Catalogues]:
    """``spelling -> alpha-2`` for the chosen countries, the countries, and the catalogues."""
    rng = random.Random(seed)
    countries, catalogues = load()
    eligible = [c for c in countries if len(translations(c, catalogues)) >= SPELLINGS]
    chosen = sorted(rng.sample(eligible, COUNTRIES), key=lambda c: c["alpha_2"])
    owners: dict[str, set[str]] = {}
    for country in chosen:
        for spelling in spellings(rng, country, catalogues):
            owners.setdefault(spelling, set()).add(country["alpha_2"])
    table = {s: next(iter(codes)) for s, codes in owners.items() if len(codes) == 1}
    return table, chosen, catalogues


def _zipf_weights(count: int, exponent: float) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


def country_names(count: int = 2000, seed: int = SEED) -> Workload:
    table, chosen, catalogues = build(seed)
    codes = [country["alpha_2"] for country in chosen]
    rng = random.Random(seed + 1)
    by_code: dict[str, list[str]] = {}
    for spelling, code in table.items():
        by_code.setdefault(code, []).append(spelling)
    # countries Zipf-weighted; within one, its spellings too (in the order made: English first)
    country_weights = _zipf_weights(len(codes), EXPONENT)
    ranked = list(codes)
    rng.shuffle(ranked)
    records = []
    for code in rng.choices(ranked, weights=country_weights, k=count):
        names = by_code[code]
        spelling = rng.choices(names, weights=_zipf_weights(len(names), EXPONENT))[0]
        records.append({"name": spelling, "code": code})
    prompt = ("Which country is this? Answer with its ISO 3166-1 alpha-2 code only, one of "
              f"{', '.join(codes)}. Country: {{{{ input.name }}}}")
    machine = machine_text(
        "Country codes", source="data.jsonl", ground_truth="code", task="normalise",
        task_title="Country code", prompt=prompt, labels=codes, input_node="entry",
        comment="Country names as people type them, in many languages -> alpha-2 code.")
    return Workload(
        name="country-names", title="Country codes", machine=machine, records=records,
        task="normalise", ground_truth="code", labels=codes, input_fields=["name"],
        source="pycountry 26.2.16 (Debian iso-codes names and translations; LGPL-2.1)",
        target="normalisation", codegen=_codegen(chosen, catalogues))


def _codegen(chosen: list[dict[str, str]], catalogues: Catalogues) -> Codegen:
    """A model's table: English, official and common names, codes, and de/fr/es names."""
    table: dict[str, str] = {}
    for country in chosen:
        code = country["alpha_2"]
        known = [*english_names(country), country["alpha_3"], code,
                 *translations(country, catalogues, KNOWN_LANGUAGES)]
        for name in known:
            table.setdefault(codewriters.fold(name), code)
    return codewriters.writer(codewriters.table_lookup("name", table))


if __name__ == "__main__":
    workload = country_names()
    print(workload.name, workload.shape())
    print(Counter(r["code"] for r in workload.records).most_common(5))
    print(sorted({r["name"] for r in workload.records})[:40])
